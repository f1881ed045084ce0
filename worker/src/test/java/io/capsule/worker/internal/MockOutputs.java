package io.capsule.worker.internal;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.RetryBackoff;
import io.capsule.protocol.Topics;
import io.capsule.protocol.WireHeader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The worker's output side over Kafka's {@link MockProducer}, which acknowledges a send only when a
 * test says so ({@link #ackAll()}): the real {@link OutcomePublisher}, {@link OutputPublisher},
 * {@link EventRecorder} and {@link RetryingPublisher}, a ledger that is never started.
 */
final class MockOutputs {
  static final Topics TOPICS = Topics.DEFAULT;
  static final String LOW = TOPICS.tasks(ComputeLevel.LOW);

  private final AtomicInteger completed = new AtomicInteger();
  final MockProducer<String, byte[]> producer =
      new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer()) {
        // completeNext() is errorNext(null): every completion passes here once
        @Override
        public synchronized boolean errorNext(RuntimeException e) {
          return counted(super.errorNext(e));
        }
      };
  final TaskLedger ledger = new TaskLedger(new MockConsumer<>("earliest"), TOPICS.events());
  final WorkerMetrics metrics = new WorkerMetrics(() -> 0);
  final RetryingPublisher retrying = new RetryingPublisher(metrics);
  final OutputPublisher publisher = new OutputPublisher(producer, TOPICS);
  final OutcomePublisher outcomes;

  MockOutputs(OperatorCeiling ceiling) {
    outcomes =
        new OutcomePublisher(
            publisher,
            new EventRecorder(publisher, ledger),
            retrying,
            OutcomePolicy.forRecordsOf(ceiling, 1024 * 1024),
            new RetryBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5)),
            metrics,
            "w-1");
  }

  MockOutputs() {
    this(OperatorCeiling.NONE);
  }

  /**
   * Acknowledges every send not yet acknowledged when called — not one that a send acknowledged
   * here starts meanwhile on another thread (a retry request following its retrying event).
   */
  void ackAll() {
    int pending = producer.history().size() - completed.get();
    for (int i = 0; i < pending && producer.completeNext(); i++) {
      // next
    }
  }

  private boolean counted(boolean done) {
    if (done) {
      completed.incrementAndGet();
    }
    return done;
  }

  /** The records sent so far. */
  List<ProducerRecord<String, byte[]>> sent() {
    return producer.history();
  }

  /** The topics of the records sent so far, in order. */
  List<String> topicsSent() {
    return sent().stream().map(ProducerRecord::topic).toList();
  }

  /** The value of the first record sent to {@code topic}, read as {@code type}. */
  <T> T first(String topic, Class<T> type) {
    ProducerRecord<String, byte[]> record =
        sent().stream().filter(r -> r.topic().equals(topic)).findFirst().orElseThrow();
    return CapsuleJson.read(new String(record.value(), StandardCharsets.UTF_8), type);
  }

  /** The schema header of the first record sent to {@code topic}. */
  String schemaOf(String topic) {
    ProducerRecord<String, byte[]> record =
        sent().stream().filter(r -> r.topic().equals(topic)).findFirst().orElseThrow();
    return new String(
        record.headers().lastHeader(WireHeader.SCHEMA).value(), StandardCharsets.UTF_8);
  }
}
