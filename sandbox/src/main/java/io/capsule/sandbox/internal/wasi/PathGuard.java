package io.capsule.sandbox.internal.wasi;

import static io.capsule.sandbox.internal.wasi.Denial.Reason.MOUNT_ROOT;
import static io.capsule.sandbox.internal.wasi.Denial.Reason.OUTSIDE_MOUNTS;
import static io.capsule.sandbox.internal.wasi.Denial.Reason.READ_ONLY;
import static io.capsule.sandbox.internal.wasi.Denial.Reason.SPECIAL_FILE;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides where a guest path lands on the host, and whether it may go there.
 *
 * <p>A guest path is resolved against the real host path of its directory fd, lexically first
 * (absolute paths and {@code ..} above the mount are refused), then through the file system: every
 * symlink on the way is followed (the final one only when the call follows it) and the result must
 * stay inside the real root of the fd's mount. For paths that do not exist yet, the nearest
 * existing ancestor is resolved and the rest appended, so the parent of a file to be created is
 * checked too.
 *
 * <p>Chicory is then handed the RESOLVED path (relative to an open directory that contains it), so
 * it never follows a symlink itself; that closes both escapes through symlinks and Chicory 1.7.5's
 * resolution of relative symlink targets against the JVM's working directory. Whether a change is
 * allowed is decided on that resolved path too: the innermost mount holding it, found by file
 * identity, gives the mode ({@link #readOnlyAt}). {@link GuardedCalls} checks and uses a path under
 * {@link MountRegistry}'s lock, so no guest of this JVM changes the path in between; what a host
 * process could still do there is written down in {@code docs/files.md}.
 */
final class PathGuard {
  private static final int MAX_SYMLINKS = 40;

  private final FdTable fds;
  private final List<MountPoint> mountPoints;
  private final VirtualRoot root;

  /** Root identity → whether changes under it are refused (read-only wins for a shared root). */
  private final Map<Object, Boolean> readOnlyByRoot = new HashMap<>();

  /**
   * Where a guest path lands.
   *
   * @param baseFd an open directory fd containing the target, to pass to Chicory
   * @param chicoryPath the target relative to {@code baseFd}, free of symlinks and {@code ..}
   * @param realPath the target's real host path
   * @param mountPoint the mount the target belongs to
   * @param guestPath the path as the guest gave it
   */
  record Target(
      int baseFd, String chicoryPath, Path realPath, MountPoint mountPoint, String guestPath) {}

  /**
   * @param mountPoints every preopened mount (the virtual root's included)
   * @param root the virtual root, or {@code null} when there is none
   */
  PathGuard(FdTable fds, List<MountPoint> mountPoints, VirtualRoot root) {
    this.fds = fds;
    this.mountPoints = List.copyOf(mountPoints);
    this.root = root;
    for (MountPoint m : mountPoints) {
      if (m.rootKey() != null) {
        readOnlyByRoot.merge(m.rootKey(), m.readOnly(), Boolean::logicalOr);
      }
    }
  }

  /**
   * Re-addresses a path given relative to the virtual root to the hidden preopen of the mount it
   * names (unchanged for any other fd). Calls taking two paths route both before checking either,
   * as wasi-libc finds the preopens of both before it calls the host.
   *
   * @throws Refusal {@code ENOENT} when no mount under the root matches; {@code ENOTCAPABLE} for an
   *     absolute path
   */
  VirtualRoot.Route route(int dirFd, String rawPath) {
    if (root == null || !root.isRoot(dirFd)) {
      return new VirtualRoot.Route(dirFd, rawPath);
    }
    if (rawPath.indexOf('\0') >= 0) {
      throw Refusal.error(WasiAbi.EINVAL);
    }
    if (rawPath.startsWith("/")) {
      throw Refusal.denied(OUTSIDE_MOUNTS, rawPath);
    }
    return root.route(rawPath);
  }

  /**
   * Resolves {@code rawPath} relative to directory fd {@code dirFd} (routed first, see {@link
   * #route}).
   *
   * @param followFinal whether a symlink as the last component is followed
   * @throws Refusal when the path is invalid or leaves the mount
   */
  Target resolve(int dirFd, String rawPath, boolean followFinal) {
    return resolveRouted(route(dirFd, rawPath), followFinal);
  }

  /** Resolves a path already {@link #route routed}. */
  Target resolveRouted(VirtualRoot.Route routed, boolean followFinal) {
    int dirFd = routed.fd();
    String rawPath = routed.path();
    FdTable.Entry dir = directory(dirFd);
    Path lexical = lexical(dir, rawPath);
    Path real = followFinal ? realize(lexical, new int[] {MAX_SYMLINKS}) : realizeParent(lexical);
    if (!dir.mountPoint().contains(real)) {
      throw Refusal.denied(OUTSIDE_MOUNTS, rawPath);
    }
    int base = baseFor(dirFd, dir, real, rawPath);
    String relative = relative(fds.get(base).realPath(), real, rawPath);
    return new Target(base, relative, real, dir.mountPoint(), rawPath);
  }

  /**
   * Refuses a change to {@code target} when the innermost mount holding its resolved path is
   * read-only, whichever mount and spelling the guest reached it through.
   */
  void requireWritable(Target target) {
    if (readOnlyAt(target.realPath(), target.mountPoint())) {
      throw Refusal.denied(READ_ONLY, target.guestPath());
    }
  }

  /** Refuses a change through fd {@code fd} when it was opened read-only (see {@link FdTable}). */
  void requireWritableFd(int fd) {
    FdTable.Entry entry = fds.get(fd);
    if (entry != null && entry.readOnly()) {
      throw Refusal.denied(READ_ONLY, entry.guestPath());
    }
  }

  /**
   * Refuses renaming or removing {@code target} when it is the root of a mount of a running attempt
   * (this one's or another's in the JVM) or a directory containing one: mounts stay where they were
   * found for the whole attempt.
   */
  void requireNoMountRoot(Target target) {
    if (MountRegistry.holdsMountRoot(target.realPath())) {
      throw Refusal.denied(MOUNT_ROOT, target.guestPath());
    }
  }

  /**
   * Refuses opening a FIFO, socket or device: opening one may block (a FIFO waits for a writer)
   * while the guarded-call lock is held.
   */
  void requireOrdinaryFile(Target target) {
    BasicFileAttributes attributes;
    try {
      attributes =
          Files.readAttributes(
              target.realPath(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return; // missing: the open creates a regular file or fails
    }
    if (attributes.isOther()) {
      throw Refusal.denied(SPECIAL_FILE, target.guestPath());
    }
  }

  /**
   * Whether changes at {@code realPath}, reached through {@code mountPoint}, are refused: the mode
   * of the innermost mount whose root is {@code realPath} or one of its ancestors, matched by file
   * identity, so a parent renamed (by anyone) since the run started does not hide a read-only
   * mount. Only ancestors inside {@code mountPoint} are looked at: a mount whose root lies above it
   * is not the innermost. Where no identity matches, the innermost mount by path.
   */
  boolean readOnlyAt(Path realPath, MountPoint mountPoint) {
    if (!readOnlyByRoot.isEmpty()) {
      for (Path p = realPath; p != null && mountPoint.contains(p); p = p.getParent()) {
        Object key = MountPoint.fileKey(p);
        Boolean readOnly = key == null ? null : readOnlyByRoot.get(key);
        if (readOnly != null) {
          return readOnly;
        }
      }
    }
    return mountPoints.stream()
        .filter(m -> m.contains(realPath))
        .max(Comparator.comparingInt(m -> m.realRoot().getNameCount()))
        .orElse(mountPoint)
        .readOnly();
  }

  /**
   * Refuses a path-based call on fd {@code fd} (Chicory re-opens such fds by path) when its path no
   * longer resolves to itself: the guest renamed a symlink over it, and the call would follow it.
   */
  void requireUnmoved(int fd) {
    FdTable.Entry entry = fds.get(fd);
    if (entry == null) {
      return;
    }
    try {
      if (!entry.realPath().toRealPath().equals(entry.realPath())) {
        throw Refusal.denied(OUTSIDE_MOUNTS, entry.guestPath());
      }
    } catch (IOException e) {
      // gone since it was opened: Chicory's own lookup by path fails the same way
    }
  }

  private FdTable.Entry directory(int fd) {
    FdTable.Entry entry = fds.get(fd);
    if (entry == null) {
      throw Refusal.error(WasiAbi.EBADF);
    }
    if (!entry.directory()) {
      throw Refusal.error(WasiAbi.ENOTDIR);
    }
    return entry;
  }

  private static Path lexical(FdTable.Entry dir, String rawPath) {
    if (rawPath.indexOf('\0') >= 0) {
      throw Refusal.error(WasiAbi.EINVAL);
    }
    if (rawPath.startsWith("/")) {
      throw Refusal.denied(OUTSIDE_MOUNTS, rawPath);
    }
    Path path;
    try {
      path = dir.realPath().resolve(rawPath).normalize();
    } catch (InvalidPathException e) {
      throw Refusal.error(WasiAbi.EINVAL);
    }
    if (!dir.mountPoint().contains(path)) {
      throw Refusal.denied(OUTSIDE_MOUNTS, rawPath);
    }
    return path;
  }

  /** The real path of {@code path} with every symlink followed, existing or not. */
  private static Path realize(Path path, int[] linksLeft) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      // missing, dangling or looping: walk it component by component
    }
    Path parent = path.getParent();
    if (parent == null || path.getFileName() == null) {
      return path;
    }
    Path candidate = realize(parent, linksLeft).resolve(path.getFileName());
    if (!Files.isSymbolicLink(candidate)) {
      return candidate;
    }
    if (--linksLeft[0] < 0) {
      throw Refusal.error(WasiAbi.ELOOP);
    }
    return realize(candidate.getParent().resolve(readLink(candidate)).normalize(), linksLeft);
  }

  /** The real path of {@code path}'s parent, with the last component appended unresolved. */
  private static Path realizeParent(Path path) {
    Path parent = path.getParent();
    if (parent == null || path.getFileName() == null) {
      return path;
    }
    return realize(parent, new int[] {MAX_SYMLINKS}).resolve(path.getFileName());
  }

  private static Path readLink(Path link) {
    try {
      return Files.readSymbolicLink(link);
    } catch (IOException e) {
      throw Refusal.error(WasiAbi.EIO);
    }
  }

  /** The fd to resolve from: the guest's own when it contains the target, else an outer one. */
  private int baseFor(int dirFd, FdTable.Entry dir, Path real, String rawPath) {
    if (real.startsWith(dir.realPath())) {
      return dirFd;
    }
    int outer = fds.directoryContaining(dir.mountPoint(), real);
    if (outer < 0) {
      throw Refusal.denied(OUTSIDE_MOUNTS, rawPath);
    }
    return outer;
  }

  private static String relative(Path base, Path real, String rawPath) {
    String relative = base.relativize(real).toString();
    if (relative.isEmpty()) {
      relative = ".";
    }
    return rawPath.endsWith("/") && !relative.endsWith("/") ? relative + "/" : relative;
  }
}
