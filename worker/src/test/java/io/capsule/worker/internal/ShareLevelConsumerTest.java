package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.TaskRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.MockShareConsumer;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The share consumer's flow control over Kafka's {@link MockShareConsumer}: a record is ACCEPTed
 * only once its outputs are acknowledged, RELEASEd (and its item abandoned) when they could not be
 * published.
 */
class ShareLevelConsumerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private record Ack(long offset, AcknowledgeType type) {}

  private record Started(TaskItem item, CompletableFuture<Void> outputs) {}

  /** Records every acknowledgement the consumer makes. */
  private static final class RecordingShareConsumer extends MockShareConsumer<String, byte[]> {
    final List<Ack> acks = new CopyOnWriteArrayList<>();

    @Override
    public synchronized void acknowledge(
        ConsumerRecord<String, byte[]> record, AcknowledgeType type) {
      acks.add(new Ack(record.offset(), type));
      super.acknowledge(record, type);
    }
  }

  private final RecordingShareConsumer kafka = new RecordingShareConsumer();
  private final MockOutputs outputs = new MockOutputs();
  private final BlockingQueue<Started> started = new LinkedBlockingQueue<>();
  private final Admission admission = new Admission(1, 64 * Tasks.MIB);
  private ShareLevelConsumer consumer;

  @AfterEach
  void stop() throws InterruptedException {
    if (consumer != null) {
      consumer.stop();
      assertThat(consumer.join(WAIT)).isTrue();
    }
  }

  private void start(ConsumerRecord<String, byte[]> record) {
    TaskRunner runner =
        (item, release) -> {
          release.run();
          CompletableFuture<Void> done = new CompletableFuture<>();
          started.add(new Started(item, done));
          return done;
        };
    RecordIntake intake =
        new RecordIntake(
            runner,
            outputs.outcomes,
            new CancelWatch(new MockConsumer<>("earliest"), MockOutputs.TOPICS.cancels()),
            admission,
            Runnable::run,
            new RecordIntake.Ram(64 * Tasks.MIB, 64 * Tasks.MIB));
    LevelContext context = new LevelContext(intake, admission, null, null, outputs.metrics);
    consumer = new ShareLevelConsumer(kafka, MockOutputs.LOW, "low", context, 0);
    kafka.subscribe(List.of(MockOutputs.LOW));
    kafka.addRecord(record);
    consumer.start();
  }

  private static ConsumerRecord<String, byte[]> delivered(
      long offset, String key, String value, int deliveryCount) {
    return new ConsumerRecord<>(
        MockOutputs.LOW,
        0,
        offset,
        System.currentTimeMillis(),
        TimestampType.CREATE_TIME,
        -1,
        -1,
        key,
        value.getBytes(StandardCharsets.UTF_8),
        new RecordHeaders(),
        Optional.empty(),
        Optional.of((short) deliveryCount));
  }

  private static ConsumerRecord<String, byte[]> delivered(TaskRequest request, int count) {
    return delivered(0, request.id(), CapsuleJson.write(request), count);
  }

  private Started next() throws InterruptedException {
    return Tasks.nextStarted(started);
  }

  @Test
  void acceptsARecordOnlyOnceItsOutputsAreAcknowledged() throws InterruptedException {
    start(delivered(Tasks.request(), 1));
    Started task = next();
    assertThat(task.item().delivery()).isEqualTo(TaskItem.Delivery.FIRST);
    await().during(Duration.ofMillis(500)).atMost(WAIT).until(kafka.acks::isEmpty);

    task.outputs().complete(null);

    await()
        .atMost(WAIT)
        .until(() -> kafka.acks.equals(List.of(new Ack(0, AcknowledgeType.ACCEPT))));
    assertThat(admission.running()).isZero();
  }

  @Test
  void releasesARecordWhoseOutputsFailedAndAbandonsItsItem() throws InterruptedException {
    start(delivered(Tasks.request(), 2));
    Started task = next();
    assertThat(task.item().delivery()).isEqualTo(TaskItem.Delivery.REDELIVERED);

    task.outputs().completeExceptionally(new IllegalStateException("broker gone"));

    await()
        .atMost(WAIT)
        .until(() -> kafka.acks.equals(List.of(new Ack(0, AcknowledgeType.RELEASE))));
    assertThat(task.item().abandoned()).isTrue();
  }

  @Test
  void anUnreadableRecordIsAcceptedOnlyOnceItsDeadLetterIsAcknowledged() {
    start(delivered(0, "k", "[]", 1));

    await().atMost(WAIT).until(() -> outputs.sent().size() == 1);
    assertThat(outputs.first(MockOutputs.TOPICS.deadLetters(), DeadLetter.class).reason())
        .isEqualTo(DeadLetter.UNREADABLE);
    await().during(Duration.ofMillis(500)).atMost(WAIT).until(kafka.acks::isEmpty);

    outputs.ackAll();

    await()
        .atMost(WAIT)
        .until(() -> kafka.acks.equals(List.of(new Ack(0, AcknowledgeType.ACCEPT))));
    assertThat(started).isEmpty();
  }
}
