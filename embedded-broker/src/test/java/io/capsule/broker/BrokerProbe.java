package io.capsule.broker;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Starts and stops one embedded broker in a fresh JVM and prints one line of figures to stdout:
 * first start time, RSS and heap growth, shutdown time. Run by {@link EmbeddedKafkaLifecycleIT},
 * which also checks that Kafka wrote nothing else to stdout. With the argument {@code
 * exit-without-close} it prints the broker's log dir and exits without closing the broker.
 */
public final class BrokerProbe {
  /** The first word of the figures line. */
  static final String MARKER = "capsule-broker-probe";

  private BrokerProbe() {}

  /** Runs the probe, or with {@code exit-without-close} leaves the broker to the shutdown hook. */
  public static void main(String[] args) throws IOException {
    if (args.length > 0 && args[0].equals("exit-without-close")) {
      System.out.println(MARKER + " " + EmbeddedKafka.builder().build().start().logDir());
      System.exit(0);
    }
    measure();
  }

  private static void measure() throws IOException {
    long rssBefore = rssKib();
    long heapBefore = usedHeapKib();
    long started = System.nanoTime();
    EmbeddedKafka kafka = EmbeddedKafka.builder().build().start();
    long startMs = millisSince(started);
    long rssRunning = rssKib();
    long heapRunning = usedHeapKib();
    long stopping = System.nanoTime();
    kafka.close();
    long stopMs = millisSince(stopping);
    System.out.printf(
        "%s startMs=%d shutdownMs=%d rssBeforeKiB=%d rssRunningKiB=%d heapBeforeKiB=%d"
            + " heapRunningKiB=%d%n",
        MARKER, startMs, stopMs, rssBefore, rssRunning, heapBefore, heapRunning);
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  /** Heap in use after a full collection, in KiB. */
  static long usedHeapKib() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1024;
  }

  /** This process's resident set size from /proc (Linux), in KiB; -1 elsewhere. */
  static long rssKib() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return -1;
    }
    return Files.readAllLines(status).stream()
        .filter(line -> line.startsWith("VmRSS:"))
        .map(line -> line.replaceAll("\\D", ""))
        .mapToLong(Long::parseLong)
        .findFirst()
        .orElse(-1);
  }
}
