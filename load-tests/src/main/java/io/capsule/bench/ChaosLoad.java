package io.capsule.bench;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ModuleRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.protocol.Topics;
import io.capsule.protocol.WireHeader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The chaos run's stream: task {@code i} of {@link ChaosTaskKind#of} kind, submitted at a steady
 * rate as the client does it (its {@code queued} event, then, once that is acknowledged, the
 * request on the LOW topic), or a poison record (bytes that are no request) under its own key. The
 * producer is idempotent with {@code acks=all}, one request in flight and a 5-minute delivery
 * timeout, so broker kills delay submissions but lose none.
 */
final class ChaosLoad implements AutoCloseable {
  private static final Duration TASK_TIMEOUT = Duration.ofSeconds(10);

  /**
   * One submitted task.
   *
   * @param id its task id (the record key)
   * @param kind what it is and must end as
   * @param sentAtMillis when its request was sent
   * @param partition the LOW topic partition it landed on, or -1 until acknowledged
   */
  record Submitted(String id, ChaosTaskKind kind, long sentAtMillis, int partition) {}

  private final KafkaProducer<String, byte[]> producer;
  private final Topics topics;
  private final String runId;
  private final byte[] trivial = BenchModules.trivial();
  private final byte[] failing = ChaosTaskKind.failing();
  private final Map<Duration, byte[]> sleepers = new ConcurrentHashMap<>();
  private final Map<String, Submitted> submitted = new ConcurrentHashMap<>();
  private final AtomicInteger failedSends = new AtomicInteger();
  private final ExecutorService chained = Executors.newSingleThreadExecutor();
  private boolean closed;

  ChaosLoad(String servers, Topics topics, String runId) {
    this.topics = topics;
    this.runId = runId;
    this.producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                servers,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                1,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                300_000,
                ProducerConfig.LINGER_MS_CONFIG,
                2,
                ProducerConfig.CLIENT_ID_CONFIG,
                "chaos-load"),
            new StringSerializer(),
            new ByteArraySerializer());
  }

  /**
   * Submits tasks at {@code perSecond}: at least {@code count}, and on while {@code more} says so;
   * returns when the last one is sent.
   */
  void run(int count, double perSecond, java.util.function.BooleanSupplier more)
      throws InterruptedException {
    long start = System.nanoTime();
    for (int i = 0; i < count || more.getAsBoolean(); i++) {
      long wait = start + (long) (i * 1e9 / perSecond) - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      submit(i);
    }
  }

  /** How many tasks were submitted so far. */
  int count() {
    return submitted.size();
  }

  /** Every task submitted so far, by id. */
  Map<String, Submitted> submitted() {
    return Map.copyOf(submitted);
  }

  /** Sends that failed for good (each one is a task the run cannot account for). */
  int failedSends() {
    return failedSends.get();
  }

  private void submit(int i) {
    ChaosTaskKind kind = ChaosTaskKind.of(i);
    long now = System.currentTimeMillis();
    if (kind == ChaosTaskKind.POISON) {
      String id = runId + "-poison-" + i;
      submitted.put(id, new Submitted(id, kind, now, -1));
      byte[] poison =
          ("{\"schema\":\"capsule.task/v1\", not a request " + i).getBytes(StandardCharsets.UTF_8);
      send(new ProducerRecord<>(topics.tasks(ComputeLevel.LOW), id, poison), id, kind, now);
      return;
    }
    TaskRequest request = request(kind, i);
    submitted.put(request.id(), new Submitted(request.id(), kind, now, -1));
    LifecycleEvent queued =
        LifecycleEvent.of(request.id(), TaskState.QUEUED, "low", request.attempt(), null);
    producer.send(
        record(topics.events(), request.id(), queued, LifecycleEvent.SCHEMA),
        (meta, error) -> {
          if (error != null) {
            failedSends.incrementAndGet();
          } else {
            // Not on the producer's I/O thread, which runs this callback: a send there that
            // waits for metadata would wait for that very thread.
            chained.execute(
                () ->
                    send(
                        record(
                            topics.tasks(ComputeLevel.LOW),
                            request.id(),
                            request,
                            TaskRequest.SCHEMA),
                        request.id(),
                        kind,
                        now));
          }
        });
  }

  private void send(
      ProducerRecord<String, byte[]> record, String id, ChaosTaskKind kind, long sentAt) {
    producer.send(
        record,
        (meta, error) -> {
          if (error != null) {
            failedSends.incrementAndGet();
          } else {
            submitted.put(id, new Submitted(id, kind, sentAt, meta.partition()));
          }
        });
  }

  private TaskRequest request(ChaosTaskKind kind, int i) {
    TaskOptions.Builder options =
        TaskOptions.builder()
            .compute(Compute.of(ComputeLevel.LOW))
            .ram(io.capsule.protocol.ByteSize.parse("16MB"))
            .timeout(TASK_TIMEOUT);
    byte[] module =
        switch (kind) {
          case SLEEP -> sleepers.computeIfAbsent(ChaosTaskKind.sleepOf(i), BenchModules::sleeper);
          case FAIL -> failing;
          default -> trivial;
        };
    if (kind == ChaosTaskKind.FAIL) {
      options.maxRetries(ChaosTaskKind.FAIL_RETRIES);
    }
    return TaskRequest.of(ModuleRef.inline(module), List.of(), options.build());
  }

  private static ProducerRecord<String, byte[]> record(
      String topic, String id, Object value, String schema) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(WireHeader.SCHEMA, schema.getBytes(StandardCharsets.UTF_8));
    headers.add(WireHeader.TASK_ID, id.getBytes(StandardCharsets.UTF_8));
    byte[] json = CapsuleJson.write(value).getBytes(StandardCharsets.UTF_8);
    return new ProducerRecord<>(topic, null, id, json, headers);
  }

  /** The timeout every task runs under. */
  static Duration taskTimeout() {
    return TASK_TIMEOUT;
  }

  /** Waits until every submission so far is acknowledged (or failed for good). */
  void flush() throws InterruptedException {
    producer.flush();
    chained.shutdown();
    chained.awaitTermination(5, TimeUnit.MINUTES);
    producer.flush();
  }

  /** Sends what is buffered and closes the producer. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      chained.shutdownNow();
      producer.flush();
      producer.close(Duration.ofSeconds(30));
    }
  }
}
