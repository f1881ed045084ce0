package io.capsule.sandbox.internal.lang;

import io.capsule.protocol.InternalException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Binaryen's {@code wasm-opt} (the npm package {@code binaryen}: an Emscripten build, JavaScript
 * with its WebAssembly inlined, that runs on Node.js), downloaded on first use, pinned by version
 * and verified against the tarball's SHA-256, kept in the cache directory under {@code tools/}.
 * Capsule uses it for one rewrite: Asyncify limited to the functions on an interpreter's stack at
 * its snapshot point.
 */
public final class Binaryen {
  /** The pinned package. */
  public static final String NPM_SPEC = "binaryen@132.0.0";

  private static final String TARBALL_SHA256 =
      "6543555fb29bb92548f325c7dc18e9ab7dbb1215edda25993d1e3f71d85b8618";
  private static final String ENTRY = "package/bin/wasm-opt";
  private static final String ENTRY_SHA256 =
      "608c021fa3f2c68cdc26f06a1454341089a0e689abb71cbe5a23ef7300e7f3e3";

  /**
   * A bound for a wasm-opt that hangs, not for a slow one: on this 2-core machine under a load of
   * ~20, CPython's Asyncify (about a minute of CPU) passed 15 minutes of wall time and the Python
   * snapshot was given up.
   */
  private static final Duration TIMEOUT = Duration.ofMinutes(45);

  private final Path wasmOpt;

  private Binaryen(Path wasmOpt) {
    this.wasmOpt = wasmOpt;
  }

  /**
   * Checks that wasm-opt can run here: it is JavaScript and WebAssembly built for Node.js, and
   * Capsule has no other way to run it (its native builds are not on the npm registry).
   *
   * @throws InternalException naming what is missing when Node.js is not on the {@code PATH}
   */
  public static void requireRunnable() {
    if (!NpmFiles.isNodeOnPath()) {
      throw new InternalException(
          "Binaryen's wasm-opt, which makes the snapshot, runs on Node.js and '"
              + NpmFiles.nodeCommand()
              + "' is not on the PATH");
    }
  }

  /**
   * The tool, from the cache or fetched now with progress on {@code progress}.
   *
   * @throws InternalException when it cannot be fetched or does not match its checksum
   */
  public static synchronized Binaryen load(Path cacheDir, PrintStream progress) {
    Path file = cacheDir.resolve("tools").resolve("binaryen-132.0.0-wasm-opt.cjs");
    try {
      return new Binaryen(
          NpmFiles.cachedEntry(file, NPM_SPEC, TARBALL_SHA256, ENTRY, ENTRY_SHA256, progress));
    } catch (IOException e) {
      throw new InternalException("cannot set up " + NPM_SPEC + ": " + e, e);
    }
  }

  /**
   * Rewrites {@code in} into {@code out} with Asyncify: only the functions in {@code onlyList}
   * (indexes among the module's defined functions) can unwind and rewind, and only around calls to
   * the import {@code module.name}. At optimisation level 1 Asyncify optimises the functions it
   * instruments (before and after adding its code); the rest of the module is left as it came, not
   * re-optimised as a whole: {@code -O1} after the pass cost CPython's preparation 157 s of CPU
   * against 118 s without it, and optimised only functions Asyncify had left alone).
   *
   * @throws InternalException when wasm-opt fails
   */
  public void asyncify(
      Path in, Path out, String importModule, String importName, Collection<Integer> onlyList) {
    String only = onlyList.stream().sorted().map(String::valueOf).collect(Collectors.joining(","));
    List<String> command = new ArrayList<>();
    command.add(NpmFiles.nodeCommand());
    command.add(wasmOpt.toString());
    command.add(in.toString());
    command.add("--asyncify");
    command.add("--pass-arg=asyncify-imports@" + importModule + "." + importName);
    command.add("--pass-arg=asyncify-onlylist@" + only);
    command.add("--optimize-level=1");
    command.add("-o");
    command.add(out.toString());
    try {
      var result = ChildProcess.run(command, null, TIMEOUT);
      String output = result.output();
      if (result.exitCode() != 0) {
        throw new InternalException("wasm-opt --asyncify failed: " + output);
      }
      if (output.contains("non-existing function")) {
        throw new InternalException("wasm-opt --asyncify: " + output);
      }
    } catch (IOException e) {
      throw new InternalException("cannot run node for wasm-opt (install Node.js): " + e, e);
    } catch (ChildProcess.TimedOut e) {
      throw new InternalException("wasm-opt --asyncify " + e.getMessage() + " (stopped)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InternalException("interrupted while running wasm-opt", e);
    }
  }
}
