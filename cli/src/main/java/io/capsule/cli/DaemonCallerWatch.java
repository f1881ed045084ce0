package io.capsule.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.concurrent.Executor;

/**
 * Watches a caller's connection while its task runs: a caller sends nothing more after its request,
 * so a read that ends means it went away, and the task's thread is interrupted (the sandbox turns
 * that into an outcome; its output is dropped).
 */
final class DaemonCallerWatch implements AutoCloseable {
  private final Thread task = Thread.currentThread();
  private boolean done;

  private DaemonCallerWatch() {}

  /** Starts watching {@code in} on {@code threads}, for the task on the current thread. */
  static DaemonCallerWatch start(InputStream in, Executor threads, PrintStream log) {
    var watch = new DaemonCallerWatch();
    threads.execute(() -> watch.await(in, log));
    return watch;
  }

  private void await(InputStream in, PrintStream log) {
    try {
      while (in.read() >= 0) {
        // nothing is expected; reading only notices the end
      }
    } catch (IOException e) {
      // gone as well
    }
    synchronized (this) {
      if (!done) {
        log.println("capsule daemon: the caller went away; stopping its task");
        task.interrupt();
      }
    }
  }

  /** The task ended: a caller leaving from now on is no longer its business. */
  @Override
  public void close() {
    synchronized (this) {
      done = true;
    }
    Thread.interrupted(); // a caller that left just before the end must not reach the next task
  }
}
