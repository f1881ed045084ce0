package io.capsule.bench;

import io.capsule.protocol.ProducerSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The raw Kafka ceiling: the fleet's request → consume → produce reply → consume pipeline with a
 * no-op in place of the sandbox. Requests go to a topic with the fleet's partition count; echo
 * consumers (one per fleet worker, in one group) produce each value back to a reply topic, which
 * one reader consumes and correlates by key. Producers use the product's settings (idempotent,
 * {@code acks=all}, one request in flight, the same {@code linger.ms}); the request is about the
 * size of the fleet's.
 */
final class KafkaCeiling implements Pipeline {
  private static final int REQUEST_BYTES = 512;
  private static final Duration POLL = Duration.ofMillis(50);

  private final String servers;
  private final String requests;
  private final String replies;
  private final Map<String, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private final KafkaProducer<String, byte[]> producer;
  private volatile boolean running = true;

  /** Creates the two topics, starts {@code echoes} echo consumers and the reply reader. */
  KafkaCeiling(String servers, String prefix, int partitions, int echoes) throws Exception {
    this.servers = servers;
    this.requests = prefix + ".ceiling.requests";
    this.replies = prefix + ".ceiling.replies";
    createTopics(partitions);
    this.producer = producer(ProducerSettings.CLIENT_LINGER_MS);
    KafkaConsumer<String, byte[]> reader = positionedReader(partitions);
    start("ceiling-reader", () -> readReplies(reader));
    for (int i = 0; i < echoes; i++) {
      start("ceiling-echo-" + i, this::echo);
    }
  }

  @Override
  public String name() {
    return "raw Kafka ceiling (no-op)";
  }

  @Override
  public CompletableFuture<?> submit() {
    String id = Long.toString(ids.incrementAndGet());
    CompletableFuture<Void> reply = new CompletableFuture<>();
    waiting.put(id, reply);
    producer.send(
        new ProducerRecord<>(requests, id, new byte[REQUEST_BYTES]),
        (metadata, error) -> {
          if (error != null) {
            waiting.remove(id);
            reply.completeExceptionally(error);
          }
        });
    return reply;
  }

  @Override
  public void close() {
    running = false;
    try {
      for (Thread t : threads) {
        t.join(10_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      producer.close(Duration.ofSeconds(10));
    }
  }

  private void start(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    thread.start();
    threads.add(thread);
  }

  private void createTopics(int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", servers))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(requests, partitions, (short) 1),
                  new NewTopic(replies, partitions, (short) 1)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
  }

  /** A reader assigned every reply partition at its end, positioned before any request is sent. */
  private KafkaConsumer<String, byte[]> positionedReader(int partitions) {
    KafkaConsumer<String, byte[]> reader = consumer(null);
    List<TopicPartition> all = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      all.add(new TopicPartition(replies, p));
    }
    reader.assign(all);
    reader.seekToEnd(all);
    all.forEach(reader::position);
    return reader;
  }

  private void readReplies(KafkaConsumer<String, byte[]> reader) {
    try (reader) {
      while (running) {
        for (ConsumerRecord<String, byte[]> r : reader.poll(POLL)) {
          CompletableFuture<Void> reply = waiting.remove(r.key());
          if (reply != null) {
            reply.complete(null);
          }
        }
      }
    }
  }

  private void echo() {
    try (KafkaConsumer<String, byte[]> consumer = consumer("ceiling-echo");
        KafkaProducer<String, byte[]> echoProducer = producer(ProducerSettings.WORKER_LINGER_MS)) {
      consumer.subscribe(List.of(requests));
      while (running) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
          echoProducer.send(new ProducerRecord<>(replies, r.key(), r.value()));
        }
        consumer.commitAsync();
      }
    }
  }

  private KafkaConsumer<String, byte[]> consumer(String group) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", servers);
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", "earliest");
    if (group != null) {
      props.put("group.id", group);
    }
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  private KafkaProducer<String, byte[]> producer(int lingerMs) {
    Map<String, Object> props =
        Map.of(
            "bootstrap.servers",
            servers,
            "acks",
            "all",
            "enable.idempotence",
            "true",
            "linger.ms",
            Integer.toString(lingerMs),
            "max.in.flight.requests.per.connection",
            "1");
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }
}
