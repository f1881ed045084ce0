package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Execution;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;
import io.capsule.worker.WorkerConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The ledger on a real broker: it reads the events topic only when asked to. */
@ExtendWith(KafkaBrokerExtension.class)
class TaskLedgerIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void readsNothingUntilACatchUpThenEverythingPublishedBeforeIt(@BootstrapServers String servers)
      throws Exception {
    String topic = topic(servers);
    try (KafkaProducer<String, byte[]> producer = producer(servers)) {
      for (int i = 0; i < 50; i++) {
        send(producer, topic, LifecycleEvent.of("t-" + i, TaskState.SUCCEEDED, "low", 1, "w"), -1);
      }
      producer.flush();
      try (TaskLedger ledger = ledger(servers, topic)) {
        ledger.start();
        awaitIdleChecks(ledger, 3);
        assertThat(ledger.eventsRead()).isZero();
        assertThat(ledger.alreadyHandled("t-7", 1, 0)).isFalse();

        assertThat(ledger.catchUp(WAIT)).isTrue();
        assertThat(ledger.eventsRead()).isEqualTo(50);
        assertThat(ledger.alreadyHandled("t-7", 1, 0)).isTrue();

        // idle again: events published now are read by the next catch-up only
        send(producer, topic, LifecycleEvent.of("late", TaskState.SUCCEEDED, "low", 1, "w"), -1);
        producer.flush();
        awaitIdleChecks(ledger, 3);
        assertThat(ledger.eventsRead()).isEqualTo(50);
        assertThat(ledger.catchUp(WAIT)).isTrue();
        assertThat(ledger.alreadyHandled("late", 1, 0)).isTrue();
      }
    }
  }

  @Test
  void anAwaitedSubTaskSkipsOldEventsAndALaterCatchUpStillReadsThem(
      @BootstrapServers String servers) throws Exception {
    String topic = topic(servers);
    long anHourAgo = System.currentTimeMillis() - 3_600_000;
    try (KafkaProducer<String, byte[]> producer = producer(servers)) {
      for (int i = 0; i < 200; i++) {
        send(
            producer,
            topic,
            LifecycleEvent.of("old-" + i, TaskState.SUCCEEDED, "low", 1, "w"),
            anHourAgo);
      }
      producer.flush();
      try (TaskLedger ledger = ledger(servers, topic)) {
        ledger.start();
        var child = ledger.awaitFinal("child-1");
        ResultEnvelope envelope =
            ResultEnvelope.success(
                    CapsuleJson.readTree("{\"ok\":true}"),
                    new Execution("child", 1, 0, 0, 0, List.of()))
                .withTask("child-1", 1, "w");
        send(
            producer,
            topic,
            LifecycleEvent.finalOf("child-1", TaskState.SUCCEEDED, "low", "w", envelope),
            -1);
        producer.flush();

        assertThat(child.get(WAIT.toSeconds(), TimeUnit.SECONDS).result().get("ok").asBoolean())
            .isTrue();
        assertThat(ledger.eventsRead()).isLessThan(200);
        assertThat(ledger.alreadyHandled("old-3", 1, anHourAgo - 1)).isFalse();

        assertThat(ledger.catchUp(WAIT)).isTrue();
        assertThat(ledger.alreadyHandled("old-3", 1, anHourAgo - 1)).isTrue();
      }
    }
  }

  /** Waits until the idle reader has checked for demand {@code n} more times (and read nothing). */
  private static void awaitIdleChecks(TaskLedger ledger, int n) {
    long from = ledger.idleChecks();
    await().atMost(WAIT).until(() -> ledger.idleChecks() >= from + n);
  }

  private static TaskLedger ledger(String servers, String topic) {
    WorkerConfig config =
        WorkerConfig.builder().withBootstrapServers(servers).withWorkerId("ledger-it").build();
    return new TaskLedger(
        new KafkaClients(config).batchedReader("ledger", TaskLedger.FETCH_WAIT), topic);
  }

  private static String topic(String servers) throws Exception {
    String topic = "events-" + UUID.randomUUID();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
    }
    return topic;
  }

  private static KafkaProducer<String, byte[]> producer(String servers) {
    return new KafkaProducer<>(
        Map.of(
            "bootstrap.servers", servers,
            "key.serializer", "org.apache.kafka.common.serialization.StringSerializer",
            "value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer"));
  }

  private static void send(
      KafkaProducer<String, byte[]> producer, String topic, LifecycleEvent event, long timestamp) {
    byte[] value = CapsuleJson.write(event).getBytes(StandardCharsets.UTF_8);
    producer.send(
        new ProducerRecord<>(
            topic, null, timestamp < 0 ? null : timestamp, event.taskId(), value, null));
  }
}
