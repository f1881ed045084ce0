package io.capsule.sandbox.internal.lang;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PreparationStepsTest {

  @Test
  void slowWorkIsAnnouncedWhileItRunsAndTimedWhenItEnds() {
    var log = new ByteArrayOutputStream();
    var announced = new CountDownLatch(1);
    var progress =
        new PrintStream(log, true, StandardCharsets.UTF_8) {
          @Override
          public void println(String line) {
            super.println(line);
            announced.countDown();
          }
        };

    boolean sawIt =
        PreparationSteps.announcedIfSlow(
            progress, "compiling", () -> awaitQuietly(announced)); // ends once announced

    assertThat(sawIt).isTrue();
    assertThat(log.toString(StandardCharsets.UTF_8).lines())
        .hasSize(2)
        .first()
        .isEqualTo("capsule: compiling…");
    assertThat(log.toString(StandardCharsets.UTF_8).lines().skip(1).findFirst().orElseThrow())
        .matches("capsule: compiling: \\d+\\.\\d s");
  }

  @Test
  void quickWorkPrintsNothing() {
    var log = new ByteArrayOutputStream();

    String result =
        PreparationSteps.announcedIfSlow(
            new PrintStream(log, true, StandardCharsets.UTF_8), "reading", () -> "done");

    assertThat(result).isEqualTo("done");
    assertThat(log.size()).isZero();
  }

  private static boolean awaitQuietly(CountDownLatch latch) {
    try {
      return latch.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
