package io.capsule.sandbox.internal.lang;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

@DisabledOnOs(OS.WINDOWS)
class ChildProcessTest {

  @Test
  void aToolThatWritesMegabytesFinishesWithOnlyTheHeadOfItsOutputKept() throws Exception {
    var result =
        ChildProcess.run(
            List.of("sh", "-c", "head -c 4000000 /dev/zero | tr '\\0' x; exit 3"),
            null,
            Duration.ofSeconds(60));

    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(result.output()).hasSize(ChildProcess.MAX_OUTPUT_BYTES).matches("x+");
  }

  @Test
  void aToolPastItsDeadlineIsDestroyedWithItsChildren() {
    assertThatThrownBy(
            () ->
                ChildProcess.run(
                    List.of("sh", "-c", "sleep 600 & sleep 600 & wait"),
                    null,
                    Duration.ofMillis(300)))
        .isInstanceOf(ChildProcess.TimedOut.class);

    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)).isEmpty();
  }

  @Test
  void anInterruptedCallerLeavesNoProcessBehind() {
    Thread.currentThread().interrupt();

    assertThatThrownBy(
            () -> ChildProcess.run(List.of("sleep", "600"), null, Duration.ofSeconds(60)))
        .isInstanceOf(InterruptedException.class);

    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)).isEmpty();
  }
}
