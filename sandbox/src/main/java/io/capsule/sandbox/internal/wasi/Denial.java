package io.capsule.sandbox.internal.wasi;

import java.util.Objects;

/**
 * One file-system call the policy refused. The guest saw {@link Reason#errno()}; nothing was
 * thrown.
 *
 * @param operation the WASI function, e.g. {@code path_open}
 * @param path the path as the guest gave it (for fd calls, the guest path the fd was opened at)
 * @param reason why it was refused
 */
public record Denial(String operation, String path, Reason reason) {

  /** Validates the fields. */
  public Denial {
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(reason, "reason");
  }

  /** Why a call was refused, and the WASI errno the guest gets for it. */
  public enum Reason {
    /** A mutating call on a read-only mount: {@code EROFS} (69). */
    READ_ONLY(WasiAbi.EROFS),
    /**
     * The path leaves the mounts (absolute, {@code ..}, or a symlink pointing out): {@code
     * ENOTCAPABLE} (76), the errno wasi-libc itself uses for paths outside every preopen.
     */
    OUTSIDE_MOUNTS(WasiAbi.ENOTCAPABLE),
    /** Creating a symbolic or hard link, never allowed: {@code EPERM} (63). */
    LINK_CREATION(WasiAbi.EPERM),
    /**
     * Renaming or removing a mount's root directory, or a directory containing one, of this or any
     * other attempt running in the same JVM: {@code EBUSY} (10), as {@code rename(2)} and {@code
     * rmdir(2)} answer for a mount point.
     */
    MOUNT_ROOT(WasiAbi.EBUSY),
    /**
     * Opening a file that is neither a regular file nor a directory (a FIFO, socket or device,
     * which could block the open): {@code EACCES} (2).
     */
    SPECIAL_FILE(WasiAbi.EACCES);

    private final int errno;

    Reason(int errno) {
      this.errno = errno;
    }

    /** The WASI errno value returned to the guest. */
    public int errno() {
      return errno;
    }
  }
}
