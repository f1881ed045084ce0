package io.capsule.sandbox.internal;

import com.dylibso.chicory.compiler.Cache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Chicory's compile cache on disk: one file per module digest, published atomically (write a temp
 * file, then move) so concurrent processes never read a half-written entry. The directory is
 * versioned by the Chicory version, whose generated classes are not portable across releases.
 */
public final class DiskCompileCache implements Cache {
  private final Path dir;

  /** A cache under {@code root}. */
  public DiskCompileCache(Path root, String runtimeVersion) {
    this.dir = root.resolve("compiled").resolve("chicory-" + runtimeVersion);
  }

  @Override
  public byte[] get(String key) throws IOException {
    Path file = fileFor(key);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    byte[] bytes = Files.readAllBytes(file);
    CacheUse.markUsed(file);
    return bytes;
  }

  @Override
  public void putIfAbsent(String key, byte[] data) throws IOException {
    Path file = fileFor(key);
    if (!Files.exists(file)) {
      AtomicFiles.publish(file, data); // a racing process publishes the same content
    }
  }

  /**
   * The file holding {@code key}'s entry; keys are {@code algo:base64}, so they are hex-encoded.
   */
  Path fileFor(String key) {
    return dir.resolve(
        HexFormat.of().formatHex(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + ".jar");
  }
}
