package io.capsule.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The output mode setting: parsed from {@code --outputs}, idempotent by default, classic only. */
class OutputModeTest {
  private static WorkerConfig parse(String... flags) {
    String[] args = new String[flags.length + 2];
    args[0] = "--bootstrap-servers";
    args[1] = "localhost:9092";
    System.arraycopy(flags, 0, args, 2, flags.length);
    return WorkerMain.parse(args, Map.of());
  }

  @Test
  void idempotentUnlessTransactionalIsAskedFor() {
    assertThat(parse().outputs()).isEqualTo(OutputMode.IDEMPOTENT);
    WorkerConfig config = parse("--outputs", "Transactional", "--transaction-interval", "25ms");
    assertThat(config.outputs()).isEqualTo(OutputMode.TRANSACTIONAL);
    assertThat(config.transactionInterval()).isEqualTo(Duration.ofMillis(25));
  }

  @Test
  void refusesAnUnknownModeByName() {
    assertThatThrownBy(() -> parse("--outputs", "exactly-once"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outputs must be idempotent or transactional")
        .hasMessageContaining("exactly-once");
  }

  @Test
  void refusesTransactionalOutputsInShareMode() {
    assertThatThrownBy(() -> parse("--outputs", "transactional", "--mode", "share"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("classic");
  }

  @Test
  void refusesANonPositiveTransactionInterval() {
    assertThatThrownBy(() -> WorkerConfig.builder().withTransactionInterval(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("transaction interval");
  }
}
