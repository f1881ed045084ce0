package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryBackoffTest {
  private final RetryBackoff backoff =
      new RetryBackoff(Duration.ofMillis(100), Duration.ofMillis(1_000));

  @Test
  void delaysDoubleWithJitterAndStopAtTheMaximum() {
    for (int i = 0; i < 50; i++) {
      assertThat(backoff.delayAfter(1).toMillis()).isBetween(50L, 100L);
      assertThat(backoff.delayAfter(3).toMillis()).isBetween(200L, 400L);
      assertThat(backoff.delayAfter(40).toMillis()).isBetween(500L, 1_000L);
    }
  }
}
