package io.capsule.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The daemon's footprint. It lives for minutes between bursts of tasks, so its heap is sized to
 * give memory back: {@link #JVM_FLAGS} let a full collection shrink the heap to what is live (the
 * serial collector otherwise keeps every page it ever committed), and {@link #trim} runs one after
 * a warm-up and after each burst of callers' tasks. What stays is mostly the interpreters' parsed
 * and compiled code and their snapshots.
 */
final class DaemonMemory {
  /**
   * The daemon JVM's heap flags, after the launcher's: shrink to at most 30 % free after a full
   * collection, in one step; a young generation of at most 96 MB (a task allocates tens of MB, so a
   * collection every few tasks; each copies only what running tasks hold).
   */
  static final List<String> JVM_FLAGS =
      List.of(
          "-XX:MinHeapFreeRatio=10",
          "-XX:MaxHeapFreeRatio=30",
          "-XX:-ShrinkHeapInSteps",
          "-XX:MaxNewSize=96m");

  private static final Path STATUS = Path.of("/proc/self/status");

  private DaemonMemory() {}

  /** This process's resident set size in bytes, or -1 where {@code /proc} does not tell. */
  static long residentBytes() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: unknown
    }
    return -1;
  }

  /** {@code "812 MB"}, or {@code "unknown"}. */
  static String megabytes(long bytes) {
    return bytes < 0 ? "unknown" : (bytes >> 20) + " MB";
  }

  /** Collects the heap so that it shrinks to what is live, and logs the resident size. */
  static void trim(PrintStream log, String after) {
    long before = residentBytes();
    System.gc();
    log.printf(
        "capsule daemon: heap trimmed after %s: resident %s -> %s%n",
        after, megabytes(before), megabytes(residentBytes()));
  }
}
