package io.capsule.cli;

import io.capsule.protocol.Durations;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** What the daemon is doing: connections open, tasks served, when it last heard from a caller. */
final class DaemonActivity {
  private final long startedAt = System.nanoTime();
  private final AtomicLong served = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong lastActivity = new AtomicLong(System.nanoTime());
  private final java.util.concurrent.atomic.AtomicBoolean untrimmed =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** A connection was accepted. */
  void opened() {
    untrimmed.set(true);
    lastActivity.set(System.nanoTime());
    inFlight.incrementAndGet();
  }

  /** A connection ended. */
  void closed() {
    lastActivity.set(System.nanoTime());
    inFlight.decrementAndGet();
  }

  /** A task ran to its end. */
  void served() {
    served.incrementAndGet();
  }

  long tasksServed() {
    return served.get();
  }

  /** Whether no connection is open. */
  boolean isQuiet() {
    return inFlight.get() == 0;
  }

  /** Whether no connection is open and none was for {@code timeout}. */
  boolean isIdleFor(Duration timeout) {
    return isQuiet() && System.nanoTime() - lastActivity.get() > timeout.toNanos();
  }

  /**
   * Whether callers came since the last call that returned {@code true} and have now been gone for
   * {@code quiet}: a burst of tasks is over, and the heap it grew can be given back.
   */
  boolean burstEndedFor(Duration quiet) {
    return isIdleFor(quiet) && untrimmed.compareAndSet(true, false);
  }

  /** {@code capsule daemon status}'s text, asked on one of the open connections. */
  String status(DaemonPaths paths, Duration idleTimeout) {
    long uptime = (System.nanoTime() - startedAt) / 1_000_000_000L;
    return String.format(
        "pid %d%nuptime %s%ntasks served %d%nrunning %d%nresident memory %s%nsocket %s%nlog %s%n"
            + "idle timeout %s%n",
        ProcessHandle.current().pid(),
        Durations.format(Duration.ofSeconds(uptime)),
        served.get(),
        inFlight.get() - 1,
        DaemonMemory.megabytes(DaemonMemory.residentBytes()),
        paths.socket(),
        paths.log(),
        Durations.format(idleTimeout));
  }
}
