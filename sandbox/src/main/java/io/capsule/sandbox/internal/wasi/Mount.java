package io.capsule.sandbox.internal.wasi;

import io.capsule.protocol.InvalidRequestException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One host directory the guest may use.
 *
 * <p>The guest sees it under {@code guestPath} exactly as given ({@code data}, {@code ./data} and
 * {@code /data} all work: wasi-libc strips leading {@code ./} and {@code /} when it matches paths
 * against preopens, so the guest reaches the directory both as {@code data/x} and {@code /data/x}).
 *
 * @param hostDir an existing host directory; kept as its real path (symlinks resolved) when the
 *     mount is made, and a run refuses to start if that path has since come to lead elsewhere
 * @param guestPath where the guest sees it; no {@code ..} segment, no NUL
 * @param readOnly whether every mutating call under it is refused with {@code EROFS}
 */
public record Mount(Path hostDir, String guestPath, boolean readOnly) {

  /**
   * Validates the mount.
   *
   * @throws InvalidRequestException when the host directory does not exist or the guest path is
   *     empty, contains NUL or a {@code ..} segment
   */
  public Mount {
    Objects.requireNonNull(hostDir, "hostDir");
    Objects.requireNonNull(guestPath, "guestPath");
    hostDir = realDirectory(hostDir);
    if (guestPath.isEmpty() || guestPath.indexOf('\0') >= 0 || hasDotDot(guestPath)) {
      throw new InvalidRequestException("invalid guest path for a mount: '" + guestPath + "'");
    }
  }

  /** A mount whose every mutating call is refused. */
  public static Mount readOnly(Path hostDir, String guestPath) {
    return new Mount(hostDir, guestPath, true);
  }

  /** A mount the guest may read and change. */
  public static Mount readWrite(Path hostDir, String guestPath) {
    return new Mount(hostDir, guestPath, false);
  }

  private static Path realDirectory(Path hostDir) {
    if (!Files.isDirectory(hostDir)) {
      throw new InvalidRequestException("mounted directory does not exist: " + hostDir);
    }
    try {
      return hostDir.toRealPath();
    } catch (IOException e) {
      throw new InvalidRequestException("cannot resolve mounted directory " + hostDir, e);
    }
  }

  private static boolean hasDotDot(String path) {
    for (String segment : path.split("/", -1)) {
      if (segment.equals("..")) {
        return true;
      }
    }
    return false;
  }
}
