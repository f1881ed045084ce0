package io.capsule.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;

/**
 * The daemon's hold on its directory: the daemon lock (one daemon per build), its pid file, and the
 * socket and pid file removed when it ends — by {@link #close()}, or by a shutdown hook when it is
 * killed with SIGTERM (which skips the code after {@code serve}).
 */
final class DaemonLock implements AutoCloseable {
  private final DaemonPaths paths;
  private final PrintStream log;
  private final FileChannel file;
  private final FileLock lock;
  private final Thread cleanup;

  private DaemonLock(DaemonPaths paths, PrintStream log, FileChannel file, FileLock lock) {
    this.paths = paths;
    this.log = log;
    this.file = file;
    this.lock = lock;
    this.cleanup = new Thread(this::deleteFiles, "capsule-daemon-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
  }

  /** The lock, or {@code null} when another daemon of this build holds it. */
  static DaemonLock tryAcquire(DaemonPaths paths, PrintStream log) throws IOException {
    paths.ensureDirectory();
    FileChannel file =
        FileChannel.open(paths.daemonLock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = file.tryLock();
    if (lock == null) {
      file.close();
      return null;
    }
    return new DaemonLock(paths, log, file, lock);
  }

  /** Records this process as the daemon, once it listens. */
  void writePid() throws IOException {
    Files.writeString(paths.pidFile(), ProcessHandle.current().pid() + "\n");
  }

  @Override
  public void close() throws IOException {
    deleteFiles();
    Runtime.getRuntime().removeShutdownHook(cleanup);
    lock.release();
    file.close();
  }

  private void deleteFiles() {
    try {
      Files.deleteIfExists(paths.socket());
      Files.deleteIfExists(paths.pidFile());
    } catch (IOException e) {
      log.println("capsule daemon: " + e);
    }
  }
}
