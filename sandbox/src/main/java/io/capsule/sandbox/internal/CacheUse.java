package io.capsule.sandbox.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/**
 * Marks a cache file as used (its modification time), which is what {@link
 * io.capsule.sandbox.CacheSweeper} goes by: access times are often not kept (noatime, relatime).
 */
public final class CacheUse {
  private CacheUse() {}

  /** Records that {@code file} was just read; a failure only makes an early sweep possible. */
  public static void markUsed(Path file) {
    try {
      Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      // read-only cache or foreign file: nothing to record
    }
  }
}
