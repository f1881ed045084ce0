package io.capsule.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.capsule.protocol.InvalidModuleException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Work that ignores interrupts (as Chicory's parser and compiler do) keeps its slot after its
 * caller gave up, so abandoned preparations never take more threads than the pool has slots.
 */
class PreparationPoolTest {
  private static final Duration GENEROUS = Duration.ofSeconds(30);

  private static PreparationBudget budget(Duration limit) {
    return PreparationBudget.of(limit, Duration.ZERO, Duration.ofMinutes(1));
  }

  /** Work that waits for {@code release}, ignoring interrupts, then returns {@code value}. */
  private static <T> java.util.function.Function<PreparationBudget, T> stubborn(
      CountDownLatch release, T value) {
    return b -> {
      boolean interrupted = false;
      while (true) {
        try {
          release.await();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      return value;
    };
  }

  @Test
  void anAbandonedPreparationKeepsItsSlotUntilItEndsAndANewOneWaitsWithinItsBudget() {
    try (var pool = PreparationPool.of(1)) {
      var release = new CountDownLatch(1);

      assertThatThrownBy(() -> pool.run(budget(Duration.ofMillis(50)), stubborn(release, "x")))
          .isInstanceOf(InvalidModuleException.class)
          .hasMessageContaining("time budget of 50ms (the task's timeout) during ");
      assertThat(pool.running()).as("the abandoned work runs on").isEqualTo(1);

      assertThatThrownBy(() -> pool.run(budget(Duration.ofMillis(50)), b -> "never"))
          .isInstanceOf(InvalidModuleException.class)
          .hasMessageEndingWith("during waiting for one of 1 preparation slots");
      assertThat(pool.threads()).isEqualTo(1);

      release.countDown();
      await().atMost(GENEROUS).until(() -> pool.busy() == 0);
      String good = pool.run(budget(Duration.ofSeconds(5)), b -> "good");
      assertThat(good).isEqualTo("good");
      assertThat(pool.threads()).isEqualTo(1);
    }
  }

  @Test
  void aPreparationWaitingForASlotStartsWhenOneFreesUpWithinItsBudget() throws Exception {
    try (var pool = PreparationPool.of(1)) {
      var release = new CountDownLatch(1);
      var first =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> pool.run(budget(Duration.ofSeconds(20)), stubborn(release, "first")));
      await().atMost(GENEROUS).until(() -> pool.running() == 1);
      var second =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> pool.run(budget(Duration.ofSeconds(20)), b -> "second"));

      release.countDown();

      assertThat(first.get()).isEqualTo("first");
      assertThat(second.get()).isEqualTo("second");
    }
  }
}
