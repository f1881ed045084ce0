package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DaemonActivityTest {

  @Test
  void aBurstOfCallersEndsOnceWhenTheyHaveBeenGoneLongEnough() {
    var activity = new DaemonActivity();
    assertThat(activity.burstEndedFor(Duration.ZERO)).as("no caller came yet").isFalse();

    activity.opened();
    assertThat(activity.burstEndedFor(Duration.ZERO)).as("a caller is connected").isFalse();
    activity.closed();
    assertThat(activity.burstEndedFor(Duration.ofHours(1))).as("gone only just now").isFalse();

    await().atMost(Duration.ofSeconds(10)).until(() -> activity.burstEndedFor(Duration.ZERO));
    assertThat(activity.burstEndedFor(Duration.ZERO)).as("trimmed once per burst").isFalse();
  }

  @Test
  void statusNamesTheResidentMemory() {
    var paths = new DaemonPaths(java.nio.file.Path.of("/tmp/capsule-daemon-test"));

    assertThat(new DaemonActivity().status(paths, Duration.ofMinutes(15)))
        .containsPattern("resident memory (\\d+ MB|unknown)")
        .contains("tasks served 0");
  }
}
