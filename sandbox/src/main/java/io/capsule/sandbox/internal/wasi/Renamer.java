package io.capsule.sandbox.internal.wasi;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * path_rename with POSIX {@code rename(2)} semantics, on already resolved and checked paths.
 *
 * <p>Chicory 1.7.5 asks {@code Files.move} for {@code ATOMIC_MOVE} together with {@code
 * COPY_ATTRIBUTES}, which the JDK's Unix file system rejects, so every rename failed with {@code
 * ENOTSUP}. An atomic move alone is a plain {@code rename(2)}: it replaces an existing file or
 * empty directory and never copies.
 */
final class Renamer {
  private Renamer() {}

  /** Renames {@code from} to {@code to}; returns the WASI errno. */
  static int rename(Path from, Path to) {
    if (!Files.exists(from, LinkOption.NOFOLLOW_LINKS)) {
      return WasiAbi.ENOENT;
    }
    boolean fromDirectory = Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS);
    if (fromDirectory && Files.exists(to, LinkOption.NOFOLLOW_LINKS) && !isDirectory(to)) {
      return WasiAbi.ENOTDIR;
    }
    if (!fromDirectory && isDirectory(to)) {
      return WasiAbi.EISDIR;
    }
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
      return WasiAbi.ESUCCESS;
    } catch (IOException e) {
      return errno(e);
    }
  }

  private static boolean isDirectory(Path path) {
    return Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
  }

  private static int errno(IOException e) {
    if (e instanceof NoSuchFileException) {
      return WasiAbi.ENOENT;
    }
    if (e instanceof DirectoryNotEmptyException) {
      return WasiAbi.ENOTEMPTY;
    }
    if (e instanceof FileAlreadyExistsException) {
      return WasiAbi.EEXIST;
    }
    if (e instanceof AtomicMoveNotSupportedException) {
      return WasiAbi.EXDEV;
    }
    return e instanceof FileSystemException ? byReason((FileSystemException) e) : WasiAbi.EIO;
  }

  /** The JDK reports other {@code rename(2)} failures only as strerror text. */
  private static int byReason(FileSystemException e) {
    String reason = String.valueOf(e.getReason());
    if (reason.contains("not empty")) {
      return WasiAbi.ENOTEMPTY;
    }
    if (reason.contains("Invalid argument")) {
      return WasiAbi.EINVAL;
    }
    return WasiAbi.EIO;
  }
}
