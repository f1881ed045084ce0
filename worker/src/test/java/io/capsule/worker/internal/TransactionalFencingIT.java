package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.Execution;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.Topics;
import io.capsule.worker.OutputMode;
import io.capsule.worker.WorkerConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A zombie on a real broker, with the worker's own clients and committer: worker A fetches a task
 * record and hands its envelope to its open transaction (the record is in the log), then stops
 * polling past {@code max.poll.interval.ms}, so the group drops it and worker B gets the partition,
 * runs the task again and commits. A's commit then fails and its transaction is aborted: a {@code
 * read_committed} reader sees exactly one envelope, B's, and the group's offset is B's — though a
 * {@code read_uncommitted} reader shows that A's envelope did reach the broker (with idempotent
 * outputs it would be a second final envelope).
 */
@ExtendWith(KafkaBrokerExtension.class)
class TransactionalFencingIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** One worker's group consumer, tracker and committer for the low level. */
  private record Member(
      KafkaConsumer<String, byte[]> consumer,
      OffsetTracker offsets,
      TransactionalOutputs tx,
      OutputPublisher publisher,
      Lease lease) {}

  @Test
  void aZombiesTransactionIsAbortedAndOnlyItsSuccessorsEnvelopeIsVisible(
      @BootstrapServers String servers) throws Exception {
    Topics topics = new Topics("txit-" + UUID.randomUUID().toString().substring(0, 8));
    createTopics(servers, topics);
    TaskRequest request = Tasks.request();
    String tasks = topics.tasks(ComputeLevel.LOW);
    try (KafkaProducer<String, byte[]> producer = plainProducer(servers)) {
      producer
          .send(
              new ProducerRecord<>(
                  tasks, request.id(), CapsuleJson.write(request).getBytes(StandardCharsets.UTF_8)))
          .get();
    }
    Member a = member(servers, topics, "a");
    Member b = member(servers, topics, "b");
    try {
      ConsumerRecord<String, byte[]> fetchedByA = fetch(a, tasks);
      CompletableFuture<Void> zombieOutputs = run(a, fetchedByA, topics, "a");
      // A's envelope is in the log, inside A's open transaction
      await().atMost(WAIT).until(() -> envelopes(servers, topics, "read_uncommitted").size() == 1);

      // A stops polling; past max.poll.interval.ms its member leaves the group, and B gets the
      // partition from its committed offset (none): the task runs again
      ConsumerRecord<String, byte[]> fetchedByB = fetch(b, tasks);
      assertThat(fetchedByB.offset()).isEqualTo(fetchedByA.offset());
      CompletableFuture<Void> successorOutputs = run(b, fetchedByB, topics, "b");
      assertThat(b.tx().commit(b.consumer(), true, () -> {}))
          .isEqualTo(TransactionalOutputs.Commit.CONFIRMED);
      assertThat(successorOutputs).isCompleted();

      // A wakes and commits: refused, aborted
      assertThat(a.tx().commit(a.consumer(), true, () -> {}))
          .isEqualTo(TransactionalOutputs.Commit.ABORTED);
      assertThat(OutputsFencedException.isLost(zombieOutputs.handle((ok, e) -> e).join())).isTrue();

      List<ResultEnvelope> committed = envelopes(servers, topics, "read_committed");
      assertThat(committed).hasSize(1);
      assertThat(committed.get(0).worker()).isEqualTo("b");
      assertThat(envelopes(servers, topics, "read_uncommitted"))
          .as("A's aborted envelope did reach the broker")
          .hasSize(2);
      TopicPartition partition = new TopicPartition(tasks, 0);
      Map<TopicPartition, OffsetAndMetadata> offsets =
          b.consumer().committed(java.util.Set.of(partition), WAIT);
      assertThat(offsets.get(partition).offset()).isEqualTo(fetchedByB.offset() + 1);
    } finally {
      close(a);
      close(b);
    }
  }

  private static Member member(String servers, Topics topics, String id) {
    WorkerConfig config =
        WorkerConfig.builder()
            .withBootstrapServers(servers)
            .withTopicPrefix(topics.prefix())
            .withGroupIdPrefix(topics.prefix())
            .withWorkerId(id)
            .withOutputs(OutputMode.TRANSACTIONAL)
            .withKafkaProperty("max.poll.interval.ms", "3000")
            .build();
    KafkaClients clients = new KafkaClients(config);
    OffsetTracker offsets = new OffsetTracker();
    TransactionalOutputs tx =
        new TransactionalOutputs(
            () -> clients.transactionalProducer("low"),
            offsets,
            Duration.ofMillis(10),
            clients.maxRequestBytes());
    OutputPublisher publisher = OutputPublisher.transactional(topics);
    publisher.transactionsOf("low", topics.tasks(ComputeLevel.LOW), tx);
    KafkaConsumer<String, byte[]> consumer =
        clients.groupConsumer(config.groupId(ComputeLevel.LOW), "tasks-low");
    Lease lease = new Lease(clients.leaseTerm());
    lease.confirmed(lease.now());
    return new Member(consumer, offsets, tx, publisher, lease);
  }

  /** Subscribes and polls until the task record comes. */
  private static ConsumerRecord<String, byte[]> fetch(Member member, String topic) {
    member.consumer().subscribe(List.of(topic));
    List<ConsumerRecord<String, byte[]>> fetched = new ArrayList<>();
    await()
        .atMost(WAIT)
        .until(
            () -> {
              member.consumer().poll(Duration.ofMillis(100)).forEach(fetched::add);
              return !fetched.isEmpty();
            });
    ConsumerRecord<String, byte[]> record = fetched.get(0);
    member.offsets().track(new TopicPartition(record.topic(), record.partition()), record.offset());
    return record;
  }

  /** Publishes the attempt's envelope in the member's open transaction. */
  private static CompletableFuture<Void> run(
      Member member, ConsumerRecord<String, byte[]> record, Topics topics, String worker) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    TaskRequest request =
        CapsuleJson.read(new String(record.value(), StandardCharsets.UTF_8), TaskRequest.class);
    TaskItem item =
        new TaskItem(
            partition,
            record.offset(),
            record.timestamp(),
            "low",
            request,
            1L << 20,
            null,
            TaskItem.Delivery.FIRST);
    item.fencedBy(member.lease().claim(partition));
    ResultEnvelope envelope =
        ResultEnvelope.success(TextNode.valueOf(worker), Execution.none("main"))
            .withTask(request.id(), 1, worker);
    return member
        .publisher()
        .atomically(item, () -> member.publisher().envelope(request, envelope, null));
  }

  private static List<ResultEnvelope> envelopes(String servers, Topics topics, String isolation) {
    Map<String, Object> props =
        Map.of(
            "bootstrap.servers", servers,
            "isolation.level", isolation,
            "allow.auto.create.topics", false);
    try (KafkaConsumer<String, byte[]> reader =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition results = new TopicPartition(topics.results(), 0);
      reader.assign(List.of(results));
      reader.seekToBeginning(List.of(results));
      long end = reader.endOffsets(List.of(results)).get(results);
      List<ResultEnvelope> read = new ArrayList<>();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (reader.position(results) < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(200))) {
          read.add(
              CapsuleJson.read(
                  new String(r.value(), StandardCharsets.UTF_8), ResultEnvelope.class));
        }
      }
      return read;
    }
  }

  private static KafkaProducer<String, byte[]> plainProducer(String servers) {
    return new KafkaProducer<>(
        Map.of("bootstrap.servers", servers),
        new org.apache.kafka.common.serialization.StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer());
  }

  private static void createTopics(String servers, Topics topics) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(topics.tasks(ComputeLevel.LOW), 1, (short) 1),
                  new NewTopic(topics.results(), 1, (short) 1),
                  new NewTopic(topics.events(), 1, (short) 1)))
          .all()
          .get();
    }
  }

  private static void close(Member member) {
    member.tx().close();
    member.consumer().close();
  }
}
