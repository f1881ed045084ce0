package io.capsule.worker.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The empty directory a worker without a cache directory gives tasks as their files root when its
 * policy grants no files. Its name carries the worker's pid ({@code capsule-no-files-PID-…}), so
 * the next worker to start deletes the ones whose worker was killed before it could (a {@code kill
 * -9} skips {@code deleteOnExit}). Only empty directories this user owns are deleted, never through
 * a link.
 */
public final class EmptyFilesRoot {
  /** The name prefix, before the pid. */
  public static final String PREFIX = "capsule-no-files-";

  private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-.*");

  private EmptyFilesRoot() {}

  /**
   * Creates this process's directory under {@code tmp} (deleted when the JVM exits), after deleting
   * those of processes that no longer run.
   */
  public static Path create(Path tmp) throws IOException {
    reapAbandoned(tmp);
    Path dir = Files.createTempDirectory(tmp, PREFIX + ProcessHandle.current().pid() + "-");
    dir.toFile().deleteOnExit();
    return dir;
  }

  /**
   * Deletes the empty directories under {@code tmp} named for a process that no longer runs.
   *
   * @return how many were deleted
   */
  static int reapAbandoned(Path tmp) {
    int reaped = 0;
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, PREFIX + "*")) {
      for (Path dir : dirs) {
        if (abandoned(dir) && deleteEmpty(dir)) {
          reaped++;
        }
      }
    } catch (IOException e) {
      return reaped; // nothing to reap, or not readable: the next worker tries again
    }
    return reaped;
  }

  private static boolean abandoned(Path dir) {
    Matcher name = NAME.matcher(dir.getFileName().toString());
    if (!name.matches() || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try {
      long pid = Long.parseLong(name.group(1));
      return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean deleteEmpty(Path dir) {
    try {
      String self = System.getProperty("user.name");
      if (!Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName().equals(self)) {
        return false;
      }
      Files.delete(dir); // refuses a directory that is not empty
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
