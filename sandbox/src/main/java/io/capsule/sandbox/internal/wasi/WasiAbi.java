package io.capsule.sandbox.internal.wasi;

/**
 * The WASI preview1 numbers this layer needs (Chicory keeps its own constants package-private).
 * Values from the preview1 witx: errno is the enum ordinal, flags and rights are bit positions.
 */
final class WasiAbi {
  static final int ESUCCESS = 0;
  static final int EACCES = 2;
  static final int EBADF = 8;
  static final int EBUSY = 10;
  static final int EEXIST = 20;
  static final int EINVAL = 28;
  static final int EIO = 29;
  static final int EISDIR = 31;
  static final int ELOOP = 32;
  static final int ENOENT = 44;
  static final int ENOTDIR = 54;
  static final int ENOTEMPTY = 55;
  static final int EPERM = 63;
  static final int EROFS = 69;
  static final int EXDEV = 75;
  static final int ENOTCAPABLE = 76;

  static final int LOOKUP_SYMLINK_FOLLOW = 1;

  static final int OFLAG_CREAT = 1;
  static final int OFLAG_EXCL = 1 << 2;
  static final int OFLAG_TRUNC = 1 << 3;

  static final int FDFLAG_APPEND = 1;

  static final long RIGHT_FD_WRITE = 1L << 6;
  static final long RIGHT_FD_ALLOCATE = 1L << 8;
  static final long RIGHT_FD_FILESTAT_SET_SIZE = 1L << 22;

  private WasiAbi() {}

  /**
   * Whether a path_open asks to change the file. Only write, allocate and set-size rights count:
   * wasi-libc requests every other right (set-times included) even for {@code O_RDONLY}.
   */
  static boolean openMutates(int openFlags, long rightsBase, int fdFlags) {
    boolean create = (openFlags & (OFLAG_CREAT | OFLAG_EXCL | OFLAG_TRUNC)) != 0;
    long writeRights = RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE;
    return create || (rightsBase & writeRights) != 0 || (fdFlags & FDFLAG_APPEND) != 0;
  }
}
