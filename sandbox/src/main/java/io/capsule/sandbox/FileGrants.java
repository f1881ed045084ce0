package io.capsule.sandbox;

import io.capsule.protocol.FileGrant;
import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.PermissionDeniedException;
import io.capsule.sandbox.internal.wasi.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a task's {@code allowed_files} into mounts under the sandbox's files root. A grant may
 * never leave the root — not by {@code ..}, an absolute path, or a symlink — and the real path
 * checked is the one mounted, so a symlink put on the way before the run starts is refused then
 * (see {@code MountPoint.of}).
 */
final class FileGrants {
  private FileGrants() {}

  /**
   * The mounts of {@code grants}; none may contain, or lie inside, {@code cacheDir} (when not
   * null): a task must not read the installation key nor change the compiled code other tasks load.
   */
  static List<Mount> mounts(List<FileGrant> grants, Path filesRoot, Path cacheDir) {
    if (grants.isEmpty()) {
      return List.of(); // most tasks: no file system call per attempt
    }
    Path cache = cacheDir == null ? null : realOrAbsolute(cacheDir);
    List<Mount> mounts = new ArrayList<>();
    for (FileGrant grant : grants) {
      Mount mount = mount(grant, filesRoot);
      if (cache != null
          && (cache.startsWith(mount.hostDir()) || mount.hostDir().startsWith(cache))) {
        throw new PermissionDeniedException(
            "allowed file '"
                + grant.path()
                + "' contains or lies in Capsule's cache directory "
                + cache
                + " (its installation key and compiled code are not for tasks)");
      }
      mounts.add(mount);
    }
    return mounts;
  }

  private static Path realOrAbsolute(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      return path.toAbsolutePath().normalize(); // not made yet: it will be made there
    }
  }

  private static Mount mount(FileGrant grant, Path filesRoot) {
    Path host = filesRoot.resolve(grant.path()).normalize();
    if (!Files.isDirectory(host)) {
      throw new InvalidRequestException(
          "allowed file '" + grant.path() + "' is not a directory under " + filesRoot);
    }
    Path real = realPath(host);
    if (!real.startsWith(realPath(filesRoot))) {
      throw new PermissionDeniedException(
          "allowed file '" + grant.path() + "' lies outside the files root " + filesRoot);
    }
    // the real path checked here is the one mounted: a run refuses to start if it changes
    return new Mount(real, grant.guestPath(), grant.readOnly());
  }

  private static Path realPath(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      throw new InvalidRequestException("cannot resolve '" + path + "': " + e.getMessage(), e);
    }
  }
}
