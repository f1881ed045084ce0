package io.capsule.bench;

import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.dispatcher.internal.ReplyListener;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Execution;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ProducerSettings;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
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
 *
 * <p>{@link #withFleetRecords} makes the same pipeline write what a worker writes for a trivial
 * task under the Kafka contract: a terminal event (carrying the envelope) to an events topic beside
 * the envelope on the reply topic, both real serialised records of the fleet's sizes, with the
 * events read by a batched reader as {@code CapsuleClient} reads them. Against it the fleet's
 * overhead is what the product adds beyond the records its contract requires.
 */
final class KafkaCeiling implements Pipeline {
  private static final int REQUEST_BYTES = 512;
  private static final Duration POLL = Duration.ofMillis(50);

  private final String servers;
  private final String requests;
  private final String replies;
  private final String events;
  private final byte[] envelope; // null: echo the request
  private final byte[] event; // null: no events
  private final long echoNanos; // per echo between two answers; 0: as fast as it can
  private final Map<String, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private final KafkaProducer<String, byte[]> producer;
  private volatile boolean running = true;

  /** Creates the two topics, starts {@code echoes} echo consumers and the reply reader. */
  KafkaCeiling(String servers, String prefix, int partitions, int echoes) throws Exception {
    this(servers, prefix + ".ceiling", partitions, echoes, 0);
  }

  /**
   * The ceiling writing the fleet's records: each echo sends a real terminal event to an events
   * topic and a real envelope as the reply; a batched reader reads the events. The echoes answer
   * {@code perSecond} requests a second between them, as a fleet that answered at that rate: the
   * requests still arrive as a flood, in batches, but the outputs go out one at a time, and the CPU
   * a Kafka pipeline spends per task depends on that.
   */
  static KafkaCeiling withFleetRecords(
      String servers, String prefix, int partitions, int echoes, double perSecond)
      throws Exception {
    return new KafkaCeiling(servers, prefix + ".records", partitions, echoes, perSecond);
  }

  private KafkaCeiling(String servers, String prefix, int partitions, int echoes, double perSecond)
      throws Exception {
    boolean records = perSecond > 0;
    this.echoNanos = records ? (long) (1e9 * echoes / perSecond) : 0;
    this.servers = servers;
    this.requests = prefix + ".requests";
    this.replies = prefix + ".replies";
    this.events = records ? prefix + ".events" : null;
    ResultEnvelope trivial = records ? trivialEnvelope() : null;
    this.envelope = records ? CapsuleJson.writeBytes(trivial) : null;
    this.event =
        records
            ? CapsuleJson.writeBytes(
                LifecycleEvent.finalOf(
                    "0123456789abcdef0123456789abcdef",
                    TaskState.SUCCEEDED,
                    "low",
                    "bench-0",
                    trivial))
            : null;
    createTopics(partitions);
    this.producer = producer(ProducerSettings.CLIENT_LINGER_MS);
    KafkaConsumer<String, byte[]> reader = positionedReader(replies, partitions, consumer(null));
    start("ceiling-reader", () -> readReplies(reader));
    if (records) {
      KafkaConsumer<String, byte[]> eventReader =
          positionedReader(events, partitions, batchedConsumer());
      start("ceiling-events", () -> drain(eventReader));
    }
    for (int i = 0; i < echoes; i++) {
      start("ceiling-echo-" + i, this::echo);
    }
  }

  /** The envelope of a trivial task as a worker publishes it. */
  private static ResultEnvelope trivialEnvelope() {
    return ResultEnvelope.success(
        TextNode.valueOf("ok"), new Execution("main", 1, 0, 2_000, 131_072, List.of()));
  }

  @Override
  public String name() {
    return event == null
        ? "raw Kafka ceiling (no-op)"
        : "raw Kafka, the fleet's records answered at the fleet's rate (no-op)";
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
      List<NewTopic> topics = new ArrayList<>();
      topics.add(new NewTopic(requests, partitions, (short) 1));
      topics.add(new NewTopic(replies, partitions, (short) 1));
      if (events != null) {
        topics.add(new NewTopic(events, partitions, (short) 1));
      }
      admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
    }
  }

  /** {@code reader} assigned every partition of {@code topic} at its end, before any request. */
  private static KafkaConsumer<String, byte[]> positionedReader(
      String topic, int partitions, KafkaConsumer<String, byte[]> reader) {
    List<TopicPartition> all = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      all.add(new TopicPartition(topic, p));
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

  /**
   * Waits until {@code due} when the echoes are paced (an echo that fell behind answers at once,
   * and catches up at most one answer, never in a burst past the rate); returns when the next
   * answer is due.
   */
  private long paced(long due) {
    if (echoNanos == 0) {
      return due;
    }
    long now = System.nanoTime();
    if (now < due) {
      LockSupport.parkNanos(due - now);
      return due + echoNanos;
    }
    return Math.max(due, now - echoNanos) + echoNanos; // a late park is caught up, one answer
  }

  /** Reads and drops every record (the events: nobody waits for them here). */
  private void drain(KafkaConsumer<String, byte[]> reader) {
    try (reader) {
      while (running) {
        reader.poll(POLL);
      }
    }
  }

  private void echo() {
    try (KafkaConsumer<String, byte[]> consumer = consumer("ceiling-echo");
        KafkaProducer<String, byte[]> echoProducer = producer(ProducerSettings.WORKER_LINGER_MS)) {
      consumer.subscribe(List.of(requests));
      long due = System.nanoTime();
      while (running) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
          due = paced(due);
          if (event != null) {
            echoProducer.send(new ProducerRecord<>(events, r.key(), event));
          }
          echoProducer.send(
              new ProducerRecord<>(replies, r.key(), envelope == null ? r.value() : envelope));
        }
        consumer.commitAsync();
      }
    }
  }

  private KafkaConsumer<String, byte[]> consumer(String group) {
    return consumer(group, Map.of());
  }

  /** A group-less reader fetching in batches, with the client's events reader's settings. */
  private KafkaConsumer<String, byte[]> batchedConsumer() {
    return consumer(
        null,
        Map.of(
            "fetch.min.bytes",
            Integer.toString(ReplyListener.EVENTS_FETCH_BYTES),
            "fetch.max.wait.ms",
            Long.toString(ReplyListener.EVENTS_FETCH_WAIT.toMillis())));
  }

  private KafkaConsumer<String, byte[]> consumer(String group, Map<String, Object> settings) {
    Map<String, Object> props = new HashMap<>(settings);
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
