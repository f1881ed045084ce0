package io.capsule.sandbox;

import io.capsule.sandbox.internal.CacheUse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Removes what no build has used for a while from a sandbox cache directory: compiled classes,
 * instrumented modules, fetched and rewritten interpreters, start-up snapshots. Every upgrade (or
 * SDK change) keys new entries, tens of megabytes for Python, and nothing else deletes the old
 * ones. An entry counts as used when a sandbox reads it ({@link CacheUse#markUsed}), so the entries
 * of a build still in use stay; one removed too early is only made again (for Python's snapshot:
 * minutes, with progress).
 */
public final class CacheSweeper {
  /** How long an entry may stay unused before a sweep removes it. */
  public static final Duration DEFAULT_MAX_UNUSED = Duration.ofDays(30);

  /** The folders swept; tools (TypeScript's compiler) and the SDK copies are small and stay. */
  static final List<String> SWEPT =
      List.of("compiled", "instrumented", "interpreters", "snapshots");

  /** What a sweep removed. */
  public record Swept(int files, long bytes) {}

  private CacheSweeper() {}

  /**
   * Deletes the files under {@code cacheDir}'s cache folders last used more than {@code maxUnused}
   * ago, then the folders left empty. Files another process deletes meanwhile are skipped.
   */
  public static Swept sweep(Path cacheDir, Duration maxUnused) {
    Instant cutoff = Instant.now().minus(maxUnused);
    int files = 0;
    long bytes = 0;
    for (String name : SWEPT) {
      Path root = cacheDir.resolve(name);
      if (!Files.isDirectory(root)) {
        continue;
      }
      List<Path> all = new ArrayList<>();
      try (Stream<Path> walk = Files.walk(root)) {
        walk.forEach(all::add);
      } catch (IOException | UncheckedIOException e) {
        continue; // changed under us: the next sweep
      }
      all.sort(Comparator.comparingInt(Path::getNameCount).reversed()); // files before folders
      for (Path p : all) {
        try {
          if (Files.isRegularFile(p)) {
            if (Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) {
              long size = Files.size(p);
              Files.delete(p);
              files++;
              bytes += size;
            }
          } else if (!p.equals(root) && Files.isDirectory(p)) {
            Files.delete(p); // only succeeds when empty
          }
        } catch (DirectoryNotEmptyException | NoSuchFileException e) {
          // in use, or already gone
        } catch (IOException e) {
          // unreadable or not ours to delete: left as it is
        }
      }
    }
    return new Swept(files, bytes);
  }
}
