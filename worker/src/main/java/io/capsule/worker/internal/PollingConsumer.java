package io.capsule.worker.internal;

import java.time.Duration;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both level consumers share: one poll thread, the drain and stop flags, and the run template
 * (consume until stopped; a wakeup ends it quietly, anything else is logged; {@link #finish()}
 * always runs on the poll thread).
 */
abstract class PollingConsumer implements LevelConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(PollingConsumer.class);

  private final String level;
  private final Thread thread;
  private volatile boolean draining;
  private volatile boolean stopping;

  PollingConsumer(String level, String threadName) {
    this.level = level;
    this.thread = new Thread(this::run, threadName);
  }

  /** Starts the poll thread. */
  @Override
  public final void start() {
    thread.start();
  }

  /** Stops taking new records; in-flight ones finish. */
  @Override
  public final void drain() {
    draining = true;
  }

  /** Abandons what still runs and ends the poll thread. */
  @Override
  public final void stop() {
    stopping = true;
    wakeup();
  }

  @Override
  public final boolean alive() {
    return thread.isAlive();
  }

  /** Waits for the poll thread to end. */
  @Override
  public final boolean join(Duration timeout) throws InterruptedException {
    thread.join(Math.max(1, timeout.toMillis()));
    return !thread.isAlive();
  }

  final String level() {
    return level;
  }

  final boolean draining() {
    return draining;
  }

  final boolean stopping() {
    return stopping;
  }

  /** Asks the poll thread to stop at its next chance (e.g. interrupted while waiting). */
  final void stopFromPollThread() {
    stopping = true;
  }

  /** Subscribes and polls until {@link #stopping()}; runs on the poll thread. */
  abstract void consume();

  /** Interrupts a blocking poll (the Kafka consumer's {@code wakeup()}). */
  abstract void wakeup();

  /** Commits what it can and closes the Kafka consumer; runs on the poll thread. */
  abstract void finish();

  private void run() {
    try {
      consume();
    } catch (WakeupException e) {
      LOG.debug("{} woken to stop", thread.getName());
    } catch (RuntimeException e) {
      LOG.error("{} ({}) failed", thread.getName(), level, e);
    } finally {
      finish();
    }
  }
}
