package io.capsule.dispatcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.dispatcher.FleetConnection;
import io.capsule.protocol.WireHeader;
import io.capsule.protocol.WireRecord;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

class KafkaSettingsTest {
  @Test
  void theUsersPropertiesTuneTheProducerButCannotWeakenItsDeliveryGuarantees() {
    FleetConnection connection =
        FleetConnection.of("localhost:1")
            .withProperties(
                Map.of(
                    ProducerConfig.ACKS_CONFIG,
                    "1",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                    "false",
                    ProducerConfig.LINGER_MS_CONFIG,
                    "5",
                    "security.protocol",
                    "SSL"));

    Properties props = KafkaSettings.producer(connection, "test");

    assertThat(props)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")
        .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "5")
        .containsEntry(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1")
        .containsEntry("security.protocol", "SSL")
        .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:1");
  }

  @Test
  void readersSeeOnlyCommittedRecordsWhateverTheUserSets() {
    FleetConnection connection =
        FleetConnection.of("localhost:1")
            .withProperties(Map.of("isolation.level", "read_uncommitted", "fetch.max.bytes", "9"));

    Properties props = KafkaSettings.reader(connection, "test");

    // a transactional worker's aborted outputs (a fenced zombie's envelope) stay unseen
    assertThat(props)
        .containsEntry("isolation.level", "read_committed")
        .containsEntry("fetch.max.bytes", "9");
  }

  @Test
  void aWireRecordBecomesAKafkaRecordWithTheSameKeyValueAndHeadersInOrder() {
    WireRecord wire =
        WireRecord.of("t", "k", new byte[] {1, 2}, "s/v1", "task-1", "00-a-b-01")
            .withHeader(WireHeader.DELIVERY, "2");

    ProducerRecord<String, byte[]> record = Sends.kafkaRecord(wire);

    assertThat(record.topic()).isEqualTo("t");
    assertThat(record.key()).isEqualTo("k");
    assertThat(record.value()).containsExactly(1, 2);
    assertThat(record.headers().toArray())
        .extracting(Header::key)
        .containsExactly(
            WireHeader.SCHEMA, WireHeader.TASK_ID, WireHeader.TRACEPARENT, WireHeader.DELIVERY);
    assertThat(
            new String(
                record.headers().lastHeader(WireHeader.TASK_ID).value(), StandardCharsets.UTF_8))
        .isEqualTo("task-1");
  }
}
