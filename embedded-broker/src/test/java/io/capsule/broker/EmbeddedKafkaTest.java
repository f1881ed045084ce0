package io.capsule.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EmbeddedKafkaTest {

  @ParameterizedTest
  @ValueSource(strings = {"listeners", "log.dirs", "node.id", "process.roles", " "})
  void builderRejectsKeysTheBrokerDerivesItself(String key) {
    EmbeddedKafka.Builder builder = EmbeddedKafka.builder();
    assertThatThrownBy(() -> builder.withConfig(key, "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 65_536})
  void builderRejectsPortsOutsideTheTcpRange(int port) {
    EmbeddedKafka.Builder builder = EmbeddedKafka.builder();
    assertThatThrownBy(() -> builder.withPort(port)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builderRejectsNonPositiveStartTimeout() {
    EmbeddedKafka.Builder builder = EmbeddedKafka.builder();
    assertThatThrownBy(() -> builder.withStartTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unstartedBrokerHasNoAddressAndClosesQuietly() {
    EmbeddedKafka kafka = EmbeddedKafka.builder().build();
    assertThat(kafka.state()).isEqualTo(EmbeddedKafka.State.NEW);
    assertThatThrownBy(kafka::bootstrapServers).isInstanceOf(IllegalStateException.class);
    kafka.close();
    assertThat(kafka.state()).isEqualTo(EmbeddedKafka.State.CLOSED);
    assertThatThrownBy(kafka::start).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void userConfigOverridesDefaultsButNotTopology() {
    var props =
        BrokerProperties.of(
            java.nio.file.Path.of("/tmp/x"), 9092, 9093, java.util.Map.of("num.partitions", "4"));
    assertThat(props.getProperty("num.partitions")).isEqualTo("4");
    assertThat(props.getProperty("offsets.topic.num.partitions")).isEqualTo("1");
    assertThat(props.getProperty("listeners"))
        .isEqualTo("PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093");
  }
}
