package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryBackoffTest {
  private final RetryBackoff backoff =
      new RetryBackoff(Duration.ofMillis(100), Duration.ofMillis(1_000));

  @Test
  void delaysDoubleWithJitterAndStopAtTheMaximum() {
    for (int i = 0; i < 50; i++) {
      assertThat(backoff.delayBefore(1).toMillis()).isBetween(50L, 100L);
      assertThat(backoff.delayBefore(3).toMillis()).isBetween(200L, 400L);
      assertThat(backoff.delayBefore(40).toMillis()).isBetween(500L, 1_000L);
    }
  }

  @Test
  void aRetryNumberBelowOneCountsAsTheFirst() {
    for (int i = 0; i < 20; i++) {
      assertThat(backoff.delayBefore(0).toMillis()).isBetween(50L, 100L);
      assertThat(backoff.delayBefore(-5).toMillis()).isBetween(50L, 100L);
    }
  }

  @Test
  void refusesAMaximumShorterThanTheFirstDelay() {
    assertThatThrownBy(() -> new RetryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("first PT2S, max PT1S");
  }
}
