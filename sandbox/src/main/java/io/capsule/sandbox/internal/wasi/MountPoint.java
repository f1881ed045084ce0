package io.capsule.sandbox.internal.wasi;

import io.capsule.protocol.PermissionDeniedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A mount with its host directory resolved to a real path: containment is checked against it.
 *
 * @param rootKey the root directory's file identity ({@link BasicFileAttributes#fileKey()}: device
 *     and inode on Unix), which follows the directory when something renames a parent of it; {@code
 *     null} where the file system has none
 */
record MountPoint(Mount mount, Path realRoot, Object rootKey) {

  /**
   * Resolves the mount's host directory at the start of a run.
   *
   * @throws PermissionDeniedException when the directory's path no longer leads to it (a symlink
   *     was put on the way since the mount was made: {@link Mount} keeps the real path it found)
   * @throws UncheckedIOException when the directory cannot be resolved
   */
  static MountPoint of(Mount mount) {
    try {
      Path real = mount.hostDir().toRealPath();
      if (!real.equals(mount.hostDir())) {
        throw new PermissionDeniedException(
            "mounted directory " + mount.hostDir() + " now leads to " + real);
      }
      return new MountPoint(mount, real, fileKey(real));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve mounted directory " + mount.hostDir(), e);
    }
  }

  /** The identity of the file at {@code path} (not following a final symlink), or {@code null}. */
  static Object fileKey(Path path) {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  boolean contains(Path realPath) {
    return realPath.startsWith(realRoot);
  }

  boolean readOnly() {
    return mount.readOnly();
  }

  /** The guest's name for a real path inside this mount, for denial records. */
  String guestPathOf(Path realPath) {
    Path relative = realRoot.relativize(realPath);
    String base = mount.guestPath();
    return relative.toString().isEmpty() ? base : base.replaceAll("/+$", "") + "/" + relative;
  }
}
