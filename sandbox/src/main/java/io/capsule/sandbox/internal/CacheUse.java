package io.capsule.sandbox.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/**
 * Marks a cache file as used (its modification time), which is what {@link
 * io.capsule.sandbox.CacheSweeper} goes by: access times are often not kept (noatime, relatime). A
 * link is marked itself, never its target.
 */
public final class CacheUse {
  private CacheUse() {}

  /** Records that {@code file} was just read; a failure only makes an early sweep possible. */
  public static void markUsed(Path file) {
    try {
      Files.getFileAttributeView(file, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(FileTime.from(Instant.now()), null, null);
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      // read-only cache or foreign file: nothing to record
    }
  }
}
