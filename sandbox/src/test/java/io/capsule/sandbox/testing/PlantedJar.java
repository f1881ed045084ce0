package io.capsule.sandbox.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

/**
 * A hostile jar: real compiled classes plus one more class whose static initialiser writes a marker
 * file. Any code path that loads and initialises the jar's classes as the host user leaves the
 * marker behind; compiled here with the JDK's own compiler.
 */
public final class PlantedJar {
  /** The planted class. */
  public static final String CLASS_NAME = "capsule.planted.RunsOnLoad";

  private PlantedJar() {}

  /** {@code jar}'s entries (none if {@code null}) plus the class that writes {@code marker}. */
  public static byte[] writingMarker(byte[] jar, Path marker) {
    byte[] planted = compile(marker);
    var bytes = new ByteArrayOutputStream();
    try (var out = new JarOutputStream(bytes)) {
      if (jar != null) {
        copyEntries(jar, out);
      }
      out.putNextEntry(new JarEntry(CLASS_NAME.replace('.', '/') + ".class"));
      out.write(planted);
      out.closeEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Replaces the {@code compiled.jar} of the artifact {@code file} with its classes plus the
   * planted one, keeping everything else (its manifest and signature too).
   */
  public static void plantInArtifact(Path file, Path marker) throws IOException {
    replaceEntry(file, "compiled.jar", jar -> writingMarker(jar, marker));
  }

  /** Rewrites one entry of a zip file, keeping the others. */
  public static void replaceEntry(
      Path zip, String name, java.util.function.UnaryOperator<byte[]> replacement)
      throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (var in = new ZipInputStream(Files.newInputStream(zip))) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        entries.put(e.getName(), in.readAllBytes());
      }
    }
    entries.put(name, replacement.apply(entries.get(name)));
    try (var out = new ZipOutputStream(Files.newOutputStream(zip))) {
      for (var e : entries.entrySet()) {
        out.putNextEntry(new ZipEntry(e.getKey()));
        out.write(e.getValue());
        out.closeEntry();
      }
    }
  }

  private static void copyEntries(byte[] jar, JarOutputStream out) throws IOException {
    try (var in = new JarInputStream(new ByteArrayInputStream(jar))) {
      for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
        out.putNextEntry(new JarEntry(e.getName()));
        out.write(in.readAllBytes());
        out.closeEntry();
      }
    }
  }

  private static byte[] compile(Path marker) {
    String source =
        "package capsule.planted;\n"
            + "public class RunsOnLoad {\n"
            + "  static {\n"
            + "    try {\n"
            + "      java.nio.file.Files.writeString(java.nio.file.Path.of(\""
            + marker.toAbsolutePath().toString().replace("\\", "\\\\")
            + "\"), \"host code ran\");\n"
            + "    } catch (java.io.IOException e) {\n"
            + "      throw new RuntimeException(e);\n"
            + "    }\n"
            + "  }\n"
            + "}\n";
    var compiler = ToolProvider.getSystemJavaCompiler();
    var classes = new ByteArrayOutputStream();
    var files =
        new javax.tools.ForwardingJavaFileManager<>(
            compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
          @Override
          public JavaFileObject getJavaFileForOutput(
              Location location,
              String className,
              JavaFileObject.Kind kind,
              javax.tools.FileObject sibling) {
            return new SimpleJavaFileObject(URI.create("mem:///" + className + ".class"), kind) {
              @Override
              public java.io.OutputStream openOutputStream() {
                return classes;
              }
            };
          }
        };
    JavaFileObject unit =
        new SimpleJavaFileObject(
            URI.create("string:///capsule/planted/RunsOnLoad.java"), JavaFileObject.Kind.SOURCE) {
          @Override
          public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return source;
          }
        };
    boolean ok =
        compiler.getTask(null, files, null, List.of("--release", "11"), null, List.of(unit)).call();
    if (!ok || classes.size() == 0) {
      throw new IllegalStateException("the planted class did not compile");
    }
    return classes.toByteArray();
  }
}
