package io.capsule.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ModuleRef;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One test's corner of the shared broker: its own topic prefix and groups, a producer for requests,
 * readers for results, events and dead letters, and the workers it started (shut down on close).
 */
final class TestFleet implements AutoCloseable {
  private final String bootstrap;
  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;
  private final List<CapsuleWorker> workers = new ArrayList<>();

  TestFleet(String bootstrap) {
    this(bootstrap, 1);
  }

  /** A fleet whose topics all exist before any worker starts; level topics get {@code parts}. */
  TestFleet(String bootstrap, int parts) {
    this.bootstrap = bootstrap;
    this.topics = new Topics("t" + UUID.randomUUID().toString().substring(0, 8));
    this.producer =
        new KafkaProducer<>(
            Map.of(
                "bootstrap.servers",
                bootstrap,
                "linger.ms",
                5,
                // One request in flight: under heavy CPU load, 5 in flight once left this
                // producer retrying OUT_OF_ORDER_SEQUENCE_NUMBER forever (Kafka 4.4 client).
                "max.in.flight.requests.per.connection",
                1),
            new StringSerializer(),
            new ByteArraySerializer());
    createTopics(parts);
  }

  private void createTopics(int parts) {
    List<NewTopic> all = new ArrayList<>();
    for (ComputeLevel level : List.of(ComputeLevel.LOW, ComputeLevel.MEDIUM, ComputeLevel.HIGH)) {
      all.add(new NewTopic(topics.tasks(level), parts, (short) 1));
    }
    for (String name :
        List.of(topics.results(), topics.events(), topics.modules(), topics.deadLetters())) {
      all.add(new NewTopic(name, 1, (short) 1));
    }
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(all).all().get();
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  Topics topics() {
    return topics;
  }

  String bootstrap() {
    return bootstrap;
  }

  /** The settings of a worker of this fleet, before the test's own changes. */
  WorkerConfig.Builder config() {
    return WorkerConfig.builder()
        .withBootstrapServers(bootstrap)
        .withTopicPrefix(topics.prefix())
        .withGroupIdPrefix(topics.prefix())
        .withRetryBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .withConcurrency(2);
  }

  CapsuleWorker startWorker(UnaryOperator<WorkerConfig.Builder> settings) {
    CapsuleWorker worker = CapsuleWorker.create(settings.apply(config()).build()).start();
    workers.add(worker);
    return worker;
  }

  /** The offset {@code level}'s consumer group committed on its partition, or -1 when none. */
  long committedOffset(ComputeLevel level, int partition) {
    String group = config().build().groupId(level);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      OffsetAndMetadata offset =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get()
              .get(new TopicPartition(topics.tasks(level), partition));
      return offset == null ? -1 : offset.offset();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Waits until {@code level}'s consumer group is stable with {@code members} members that each own
   * at least one partition: a test that spreads work over several workers floods only then, or the
   * workers that joined first may finish it all before the last one is assigned anything.
   */
  void awaitGroupSpread(ComputeLevel level, int members, Duration timeout) {
    String group = config().build().groupId(level);
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "not described yet";
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      while (System.nanoTime() < deadline) {
        ConsumerGroupDescription description =
            admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        last = description.groupState() + " with " + description.members().size() + " members";
        if (description.groupState() == GroupState.STABLE
            && description.members().size() == members
            && description.members().stream()
                .allMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
          return;
        }
        Thread.sleep(100);
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    throw new IllegalStateException(
        "group "
            + group
            + " not spread over "
            + members
            + " workers within "
            + timeout
            + ": "
            + last);
  }

  static TaskRequest request(byte[] wasm, TaskOptions options) {
    return TaskRequest.of(ModuleRef.inline(wasm), List.of(), options);
  }

  TaskRequest submit(TaskRequest request) {
    byte[] value = CapsuleJson.write(request).getBytes(StandardCharsets.UTF_8);
    send(topics.tasks(request.level()), request.id(), value);
    return request;
  }

  void send(String topic, String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  KafkaProducer<String, byte[]> producer() {
    return producer;
  }

  List<ResultEnvelope> results() {
    return read(topics.results(), ResultEnvelope.class);
  }

  List<ResultEnvelope> results(String taskId) {
    return results().stream().filter(e -> taskId.equals(e.taskId())).collect(Collectors.toList());
  }

  List<LifecycleEvent> events(String taskId) {
    return read(topics.events(), LifecycleEvent.class).stream()
        .filter(e -> taskId.equals(e.taskId()))
        .collect(Collectors.toList());
  }

  List<DeadLetter> deadLetters() {
    return read(topics.deadLetters(), DeadLetter.class);
  }

  <T> List<T> read(String topic, Class<T> type) {
    return readRecords(topic).stream()
        .map(r -> CapsuleJson.read(new String(r.value(), StandardCharsets.UTF_8), type))
        .collect(Collectors.toList());
  }

  /**
   * Scans every record on every topic of this fleet, values and header values alike, for each of
   * {@code secrets}; returns how many records it scanned.
   */
  int assertNoRecordContains(String... secrets) {
    List<String> names = new ArrayList<>();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      for (String topic : admin.listTopics().names().get()) {
        if (topic.startsWith(topics.prefix() + ".")) {
          names.add(topic);
        }
      }
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
    assertThat(names).contains(topics.results(), topics.events(), topics.deadLetters());
    int scanned = 0;
    for (String topic : names) {
      for (ConsumerRecord<String, byte[]> record : readRecords(topic)) {
        scanned++;
        StringBuilder text = new StringBuilder(new String(record.value(), StandardCharsets.UTF_8));
        for (Header header : record.headers()) {
          text.append(new String(header.value(), StandardCharsets.UTF_8));
        }
        for (String secret : secrets) {
          assertThat(text.toString()).as("record on %s", topic).doesNotContain(secret);
        }
      }
    }
    System.err.printf("scanned %d records on %d topics for secrets%n", scanned, names.size());
    return scanned;
  }

  /** Every record now on {@code topic}, from its beginning to its current end. */
  List<ConsumerRecord<String, byte[]>> readRecords(String topic) {
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                "bootstrap.servers",
                bootstrap,
                "max.poll.records",
                5000,
                "allow.auto.create.topics",
                false,
                // as every reader of the contract: a transactional worker's aborted outputs unseen
                "isolation.level",
                "read_committed"),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .collect(Collectors.toList());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
      while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      return records;
    }
  }

  @Override
  public void close() {
    for (CapsuleWorker worker : workers) {
      worker.shutdown();
    }
    for (CapsuleWorker worker : workers) {
      try {
        worker.awaitTermination(Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    producer.close();
  }
}
