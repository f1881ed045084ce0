package io.capsule.sandbox.internal.wasi;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Which mount, and which real host path, each guest file descriptor under a mount refers to. Kept
 * in step with Chicory's own descriptor table by path_open, fd_close and fd_renumber. Stdio fds are
 * never in it. One run is one guest thread, so no locking.
 */
final class FdTable {
  /**
   * One open file or directory under a mount.
   *
   * @param readOnly whether changes through the fd are refused: decided when it was opened, from
   *     the innermost mount holding the file (see {@link PathGuard#readOnlyAt})
   */
  record Entry(MountPoint mountPoint, Path realPath, boolean directory, boolean readOnly) {
    String guestPath() {
      return mountPoint.guestPathOf(realPath);
    }
  }

  private final Map<Integer, Entry> entries = new HashMap<>();

  Entry get(int fd) {
    return entries.get(fd);
  }

  void put(int fd, Entry entry) {
    entries.put(fd, entry);
  }

  void remove(int fd) {
    entries.remove(fd);
  }

  /** Mirrors a successful fd_renumber: {@code to} now refers to what {@code from} did. */
  void renumber(int from, int to) {
    Entry moved = entries.remove(from);
    if (moved == null) {
      entries.remove(to);
    } else {
      entries.put(to, moved);
    }
  }

  /**
   * An open directory of the given mount that contains {@code realPath}, preferring the outermost
   * (normally the preopen), or -1 when none is open.
   */
  int directoryContaining(MountPoint mountPoint, Path realPath) {
    int best = -1;
    int bestDepth = Integer.MAX_VALUE;
    for (var e : entries.entrySet()) {
      Entry entry = e.getValue();
      boolean fits =
          entry.directory()
              && entry.mountPoint() == mountPoint
              && realPath.startsWith(entry.realPath());
      if (fits && entry.realPath().getNameCount() < bestDepth) {
        best = e.getKey();
        bestDepth = entry.realPath().getNameCount();
      }
    }
    return best;
  }
}
