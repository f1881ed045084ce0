package io.capsule.worker.internal;

import java.time.Duration;

/** A thread consuming one level's task topic, in classic or share mode. */
public interface LevelConsumer {
  /** Starts consuming. */
  void start();

  /** Stops taking new records; in-flight ones finish. */
  void drain();

  /** Gives back what still runs and stops. */
  void stop();

  /** Tasks started (or waiting) and not yet acknowledged. */
  int active();

  /** Waits for the thread to end. */
  boolean join(Duration timeout) throws InterruptedException;

  /** Whether its thread is still running. */
  boolean alive();

  /** Partition assignments received (classic mode; 0 for share mode). */
  default int assignments() {
    return 0;
  }
}
