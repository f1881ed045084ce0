package io.capsule.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Creates and removes the brokers' scratch directories. A temp directory carries an owner marker
 * (the creating process's pid and start time) so that one left behind by a process killed before it
 * could clean up is deleted by the next broker that starts: {@link #reapAbandoned(String)}.
 */
final class Directories {
  /** The marker file in an owned temp directory: {@code PID START_EPOCH_MILLIS}. */
  static final String OWNER_FILE = "capsule-owner";

  private Directories() {}

  /** Creates a fresh directory under the system temp directory. */
  static Path createTemp(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temp directory", e);
    }
  }

  /**
   * Creates a fresh temp directory marked as owned by this process; once this process is gone,
   * {@link #reapAbandoned(String)} may delete it.
   */
  static Path createOwnedTemp(String prefix) {
    Path dir = createTemp(prefix);
    ProcessHandle self = ProcessHandle.current();
    String owner = self.pid() + " " + startMillis(self).orElse(0L);
    try {
      Files.writeString(dir.resolve(OWNER_FILE), owner, StandardCharsets.UTF_8);
      return dir;
    } catch (IOException e) {
      deleteRecursively(dir);
      throw new UncheckedIOException("cannot mark " + dir, e);
    }
  }

  /**
   * Deletes the temp directories named {@code prefix*} whose owner marker names a process that no
   * longer runs. Directories without a marker (being created, or made by an older version) and
   * those of live owners are left alone; a directory that cannot be deleted is skipped.
   *
   * @return how many were deleted
   */
  static int reapAbandoned(String prefix) {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    int reaped = 0;
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, prefix + "*")) {
      for (Path dir : dirs) {
        if (ownerGone(dir) && tryDelete(dir)) {
          reaped++;
        }
      }
    } catch (IOException | UncheckedIOException e) {
      return reaped;
    }
    return reaped;
  }

  /** Whether {@code dir}'s owner marker names a process that is not running any more. */
  static boolean ownerGone(Path dir) {
    Path marker = dir.resolve(OWNER_FILE);
    if (!Files.isRegularFile(marker)) {
      return false;
    }
    try {
      String[] owner = Files.readString(marker, StandardCharsets.UTF_8).strip().split(" ");
      long pid = Long.parseLong(owner[0]);
      long started = owner.length > 1 ? Long.parseLong(owner[1]) : 0L;
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .map(p -> started != 0 && startMillis(p).map(s -> s != started).orElse(false))
          .orElse(true);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static Optional<Long> startMillis(ProcessHandle process) {
    return process.info().startInstant().map(Instant::toEpochMilli);
  }

  private static boolean tryDelete(Path dir) {
    try {
      deleteRecursively(dir);
      return true;
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  /** Deletes a directory tree, deepest entries first; a missing directory is not an error. */
  static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(Directories::delete);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }

  private static void delete(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path, e);
    }
  }
}
