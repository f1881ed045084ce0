package io.capsule.sandbox.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;

/**
 * Whether Chicory's compiler left functions of a module to its interpreter. A function whose
 * bytecode exceeds the JVM's 64 KB method limit is run by a {@code CompilerInterpreterMachine} the
 * generated code creates and calls itself, out of reach of {@link AccountedInterpreter}: its frames
 * (every local on the heap) would not be charged to the attempt's account. The generated machine
 * class declares a field for that interpreter exactly when some function falls back (Chicory
 * 1.7.5), so the compiled classes tell, whether they were compiled now or loaded from a cache.
 */
public final class InterpreterFallbacks {
  private static final byte[] FIELD =
      "compilerInterpreterMachine".getBytes(StandardCharsets.US_ASCII);

  private InterpreterFallbacks() {}

  /**
   * Whether the compiled classes of a module (a compile cache entry: a jar of class files) run any
   * function in Chicory's interpreter. Unreadable classes count as falling back: the caller then
   * interprets the whole module, which is always safe.
   */
  public static boolean present(byte[] compiledClasses) {
    if (compiledClasses == null) {
      return true;
    }
    try (var jar = new JarInputStream(new ByteArrayInputStream(compiledClasses))) {
      for (JarEntry entry = jar.getNextJarEntry(); entry != null; entry = jar.getNextJarEntry()) {
        if (entry.getName().endsWith(".class") && contains(jar.readAllBytes(), FIELD)) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /**
   * How many functions the compiled classes of a module leave to Chicory's interpreter: the cases
   * of the {@code lookupswitch} with which the generated machine's {@code call(int, long[])} sends
   * those functions to its interpreter (Chicory 1.7.5). 0 when no class declares the interpreter;
   * -1 when there are no classes, or they cannot be read or have another shape.
   */
  public static int count(byte[] compiledClasses) {
    if (compiledClasses == null) {
      return -1;
    }
    try (var jar = new JarInputStream(new ByteArrayInputStream(compiledClasses))) {
      boolean classes = false;
      for (JarEntry entry = jar.getNextJarEntry(); entry != null; entry = jar.getNextJarEntry()) {
        byte[] bytes = entry.getName().endsWith(".class") ? jar.readAllBytes() : new byte[0];
        classes |= bytes.length > 0;
        if (contains(bytes, FIELD)) {
          return new MachineClass(bytes).interpretedCases();
        }
      }
      return classes ? 0 : -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static boolean contains(byte[] bytes, byte[] part) {
    outer:
    for (int i = 0; i + part.length <= bytes.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (bytes[i + j] != part[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
