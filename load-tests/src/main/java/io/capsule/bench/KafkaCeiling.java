package io.capsule.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The raw Kafka ceiling: requests produced to a topic, consumed by echo consumers (as many as the
 * fleet has workers, in one group) that produce each value back to a reply topic, which the client
 * consumes. The same shape as the fleet, with a no-op in place of the sandbox.
 */
final class KafkaCeiling {
  private final String servers;
  private final String requests;
  private final String replies;
  private final int partitions;
  private final int echoes;

  KafkaCeiling(String servers, String prefix, int partitions, int echoes) {
    this.servers = servers;
    this.requests = prefix + ".ceiling.requests";
    this.replies = prefix + ".ceiling.replies";
    this.partitions = partitions;
    this.echoes = echoes;
  }

  Latencies run(int count) throws Exception {
    createTopics();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> echoThreads = new ArrayList<>();
    for (int i = 0; i < echoes; i++) {
      Thread t = new Thread(() -> echo(running), "ceiling-echo-" + i);
      t.start();
      echoThreads.add(t);
    }
    try {
      measure(Math.min(200, count));
      long start = System.nanoTime();
      long[] latencies = measure(count);
      double seconds = (System.nanoTime() - start) / 1e9;
      return new Latencies("raw Kafka ceiling (no-op)", count, seconds, latencies);
    } finally {
      running.set(false);
      for (Thread t : echoThreads) {
        t.join(10_000);
      }
    }
  }

  private void createTopics() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(requests, partitions, (short) 1),
                  new NewTopic(replies, partitions, (short) 1)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
  }

  private long[] measure(int count) throws Exception {
    long[] sentAt = new long[count];
    long[] latencies = new long[count];
    CountDownLatch done = new CountDownLatch(count);
    String run = Long.toString(System.nanoTime());
    Thread reader = new Thread(() -> readReplies(run, sentAt, latencies, done), "ceiling-reader");
    reader.start();
    Thread.sleep(500);
    try (var producer =
        new KafkaProducer<>(
            producerProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < count; i++) {
        sentAt[i] = System.nanoTime();
        byte[] key = (run + ":" + i).getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(requests, key, new byte[256]));
      }
      producer.flush();
    }
    if (!done.await(5, TimeUnit.MINUTES)) {
      throw new IllegalStateException("the ceiling pipeline lost replies");
    }
    reader.join();
    return latencies;
  }

  private void readReplies(String run, long[] sentAt, long[] latencies, CountDownLatch done) {
    try (var consumer = consumer("ceiling-reader-" + run, "latest")) {
      consumer.subscribe(List.of(replies));
      while (done.getCount() > 0) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          String[] key = new String(r.key(), StandardCharsets.UTF_8).split(":");
          if (key[0].equals(run)) {
            int i = Integer.parseInt(key[1]);
            latencies[i] = System.nanoTime() - sentAt[i];
            done.countDown();
          }
        }
      }
    }
  }

  private void echo(AtomicBoolean running) {
    try (var consumer = consumer("ceiling-echo", "earliest");
        var producer =
            new KafkaProducer<>(
                producerProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
      consumer.subscribe(List.of(requests));
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          producer.send(new ProducerRecord<>(replies, r.key(), r.value()));
        }
        consumer.commitAsync();
      }
    }
  }

  private KafkaConsumer<byte[], byte[]> consumer(String group, String reset) {
    Map<String, Object> props =
        Map.of(
            "bootstrap.servers", servers,
            "group.id", group,
            "auto.offset.reset", reset,
            "enable.auto.commit", "false",
            "fetch.max.wait.ms", "10");
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private Map<String, Object> producerProps() {
    return Map.of("bootstrap.servers", servers, "linger.ms", "0", "acks", "all");
  }
}
