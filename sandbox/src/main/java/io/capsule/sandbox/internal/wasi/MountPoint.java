package io.capsule.sandbox.internal.wasi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** A mount with its host directory resolved to a real path: containment is checked against it. */
record MountPoint(Mount mount, Path realRoot) {

  /** Resolves the mount's host directory (symlinks included) once, at the start of a run. */
  static MountPoint of(Mount mount) {
    try {
      return new MountPoint(mount, mount.hostDir().toRealPath());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve mounted directory " + mount.hostDir(), e);
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
