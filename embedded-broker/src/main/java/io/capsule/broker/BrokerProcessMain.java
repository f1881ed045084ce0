package io.capsule.broker;

import java.io.IOException;
import java.io.InputStream;

/**
 * The main class of a {@link KafkaCluster} node's process: Kafka's own {@code kafka.Kafka} on a
 * server properties file, plus a watch on standard input. The parent holds the other end of that
 * pipe; when it goes away (closed, or the parent killed), the node shuts down as on SIGTERM and is
 * halted if that takes longer than {@link #HALT_AFTER_MS}, so no broker outlives its parent.
 */
public final class BrokerProcessMain {
  /** How long a node whose parent went away may take to shut down cleanly. */
  static final long HALT_AFTER_MS = 20_000;

  private BrokerProcessMain() {}

  /**
   * Runs a Kafka server until it is stopped or its parent goes away.
   *
   * @param args one argument: the server properties file
   */
  public static void main(String[] args) {
    Thread watch = new Thread(() -> exitWhenClosed(System.in), "capsule-parent-watch");
    watch.setDaemon(true);
    watch.start();
    kafka.Kafka.main(args);
  }

  private static void exitWhenClosed(InputStream parent) {
    try {
      while (parent.read() >= 0) {
        // The parent never writes; reading only waits for the end of the stream.
      }
    } catch (IOException e) {
      // A broken pipe means the same as its end.
    }
    Thread halt =
        new Thread(
            () -> {
              try {
                Thread.sleep(HALT_AFTER_MS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              Runtime.getRuntime().halt(1);
            },
            "capsule-halt");
    halt.setDaemon(true);
    halt.start();
    System.exit(0);
  }
}
