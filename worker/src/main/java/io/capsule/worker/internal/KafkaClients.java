package io.capsule.worker.internal;

import io.capsule.protocol.ConsumerSettings;
import io.capsule.protocol.ProducerSettings;
import io.capsule.protocol.TopicSpec;
import io.capsule.protocol.Topics;
import io.capsule.worker.WorkerConfig;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the worker's Kafka clients: the user's properties first (security, timeouts...), then the
 * settings the worker's guarantees depend on, which always win (for the producer: {@link
 * ProducerSettings}).
 */
public final class KafkaClients {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaClients.class);
  private static final int BATCH_FETCH_BYTES = 256 * 1024;

  /**
   * The producer's {@code max.request.size} unless the operator sets one: a whole dead letter (a
   * maximal request and envelope) has to fit, so it is what the dead-letter topic accepts.
   */
  static final int DEFAULT_MAX_REQUEST_BYTES = TopicSpec.MAX_DEAD_LETTER_BYTES;

  private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(30);

  /** The output producer's {@code linger.ms} ({@link ProducerSettings#WORKER_LINGER_MS}). */
  public static final int LINGER_MS = ProducerSettings.WORKER_LINGER_MS;

  private final WorkerConfig config;

  /** Clients for this worker. */
  public KafkaClients(WorkerConfig config) {
    this.config = config;
  }

  private Map<String, Object> base(String clientSuffix) {
    Map<String, Object> props = new HashMap<>(config.kafkaProperties());
    if (config.bootstrapServers() != null) {
      props.put("bootstrap.servers", config.bootstrapServers());
    }
    props.put("client.id", config.workerId() + "-" + clientSuffix);
    return props;
  }

  /**
   * The idempotent producer every output goes through, by the fleet's one {@link ProducerSettings}
   * policy (the user's properties cannot weaken its guarantees).
   */
  public KafkaProducer<String, byte[]> producer() {
    Map<String, Object> props =
        ProducerSettings.over(
            base("producer"),
            Map.of(
                ProducerConfig.LINGER_MS_CONFIG,
                LINGER_MS,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                DEFAULT_MAX_REQUEST_BYTES));
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  /**
   * How long a transaction of a transactional worker may stay open before its coordinator aborts
   * it, unless the operator sets {@code transaction.timeout.ms}: readers ({@code read_committed})
   * of a partition it wrote to see nothing past its first record until then, so a worker frozen (or
   * killed) with a transaction open holds up the results and events it shares a partition with for
   * at most this long. A worker commits every few milliseconds, so 10 s is ample.
   */
  static final int DEFAULT_TRANSACTION_TIMEOUT_MS = 10_000;

  /** The transactional producer's {@code retry.backoff.ms} unless the operator sets one. */
  static final int TRANSACTION_RETRY_BACKOFF_MS = 10;

  /** The transactional producer's {@code max.block.ms} unless the operator sets one. */
  static final int TRANSACTION_MAX_BLOCK_MS = 15_000;

  /**
   * A transactional producer for the outputs of {@code level}'s records ({@link
   * TransactionalOutputs}), over the same settings as {@link #producer()}: its {@code
   * transactional.id} is {@code capsule-<worker id>-<level>}, so a worker restarted under the same
   * id fences its previous incarnation's producer, and each level's commits carry that level's
   * consumer-group metadata.
   */
  public KafkaProducer<String, byte[]> transactionalProducer(String level) {
    Map<String, Object> props =
        ProducerSettings.over(
            base("producer-" + level),
            Map.of(
                ProducerConfig.LINGER_MS_CONFIG,
                LINGER_MS,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                DEFAULT_MAX_REQUEST_BYTES,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                DEFAULT_TRANSACTION_TIMEOUT_MS,
                // a transaction's first send right after the last commit meets
                // CONCURRENT_TRANSACTIONS until the commit's markers are written: retry soon
                ProducerConfig.RETRY_BACKOFF_MS_CONFIG,
                TRANSACTION_RETRY_BACKOFF_MS,
                // the poll thread commits: a coordinator out of reach holds it this long at most
                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                TRANSACTION_MAX_BLOCK_MS));
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(level));
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  /** The {@code transactional.id} of {@code level}'s output producer. */
  String transactionalId(String level) {
    return "capsule-" + config.workerId() + "-" + level;
  }

  /**
   * The largest record the producer sends: the user's {@code max.request.size}, or {@link
   * #DEFAULT_MAX_REQUEST_BYTES}.
   */
  public int maxRequestBytes() {
    Object set = config.kafkaProperties().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    return set == null ? DEFAULT_MAX_REQUEST_BYTES : Integer.parseInt(set.toString().trim());
  }

  /**
   * The largest envelope record this worker can publish: an envelope goes to the results topic and,
   * inside the final event, to the events topic, so the smallest of those topics' {@code
   * max.message.bytes} and the producer's {@code max.request.size}. A topic whose config cannot be
   * read (no rights, not created yet) counts as Kafka's default ({@link
   * TopicSpec#DEFAULT_MAX_MESSAGE_BYTES}).
   */
  public int maxEnvelopeRecordBytes() {
    Topics topics = config.topics();
    try (Admin admin = admin()) {
      return Math.min(
          maxRequestBytes(), smallestMaxMessageBytes(admin, topics.results(), topics.events()));
    }
  }

  /** The smallest {@code max.message.bytes} of {@code topics}, read in one request. */
  private static int smallestMaxMessageBytes(Admin admin, String... topics) {
    List<ConfigResource> resources =
        Stream.of(topics).map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
    Map<ConfigResource, KafkaFuture<Config>> described = admin.describeConfigs(resources).values();
    long deadline = System.nanoTime() + DESCRIBE_TIMEOUT.toNanos();
    int smallest = Integer.MAX_VALUE;
    for (ConfigResource topic : resources) {
      smallest = Math.min(smallest, maxMessageBytes(topic, described.get(topic), deadline));
    }
    return smallest;
  }

  /**
   * A topic's {@code max.message.bytes}; Kafka's default ({@link
   * TopicSpec#DEFAULT_MAX_MESSAGE_BYTES}) when it cannot be read by {@code deadline} ({@link
   * System#nanoTime()}).
   */
  private static int maxMessageBytes(
      ConfigResource topic, KafkaFuture<Config> described, long deadline) {
    try {
      long wait = Math.max(0, deadline - System.nanoTime());
      ConfigEntry entry =
          described.get(wait, TimeUnit.NANOSECONDS).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
      if (entry != null && entry.value() != null) {
        return Integer.parseInt(entry.value().trim());
      }
    } catch (ExecutionException | TimeoutException | NumberFormatException e) {
      LOG.warn(
          "cannot read {}'s max.message.bytes ({}); taking Kafka's default",
          topic.name(),
          e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return TopicSpec.DEFAULT_MAX_MESSAGE_BYTES;
  }

  /**
   * The classic group's session timeout unless the operator sets one: a worker killed with {@code
   * kill -9} is noticed by the group coordinator within it, so its partitions move and output
   * resumes within about this plus a rebalance (Kafka's default of 45 s stopped output for minutes
   * in the chaos run: every restart's rebalance waited for the dead members). 6 s is the smallest a
   * broker accepts by default ({@code group.min.session.timeout.ms}); the cost is that a worker
   * frozen longer than that (a GC pause) loses its partitions, and its outputs are then fenced.
   */
  static final int DEFAULT_SESSION_TIMEOUT_MS = 6_000;

  /**
   * A quarter of the default session timeout (at most a quarter of the one set): a lost heartbeat
   * or two does not end the session.
   */
  static final int DEFAULT_HEARTBEAT_INTERVAL_MS = 1_500;

  /**
   * A consumer in {@code groupId} that commits only what the worker tells it to, and reads only
   * committed requests ({@link ConsumerSettings}: a transactional worker's aborted retries and
   * sub-task requests never run).
   */
  public KafkaConsumer<String, byte[]> groupConsumer(String groupId, String clientSuffix) {
    return new KafkaConsumer<>(
        groupConsumerProperties(groupId, clientSuffix),
        new StringDeserializer(),
        new ByteArrayDeserializer());
  }

  /** The properties of {@link #groupConsumer}: the operator's, over the worker's defaults. */
  Map<String, Object> groupConsumerProperties(String groupId, String clientSuffix) {
    Map<String, Object> props = base(clientSuffix);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    ConsumerSettings.enforce(props);
    // KIP-848 groups (group.protocol=consumer) assign on the broker and refuse a client assignor
    // and client-side session settings (the broker's group.consumer.* settings apply).
    if (!consumerProtocol()) {
      props.putIfAbsent(
          ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
          CooperativeStickyAssignor.class.getName());
      props.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, DEFAULT_SESSION_TIMEOUT_MS);
      long session = Long.parseLong(props.get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG).toString());
      props.putIfAbsent(
          ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
          (int) Math.min(DEFAULT_HEARTBEAT_INTERVAL_MS, Math.max(1, session / 4)));
    }
    return props;
  }

  /**
   * How long one broker confirmation of a group member's tenure is trusted before its records'
   * outputs wait for another ({@link Lease}): half the session timeout (the coordinator cannot give
   * the member's partitions to another worker sooner than a whole one after confirming it). With
   * {@code group.protocol=consumer} the session timeout is the broker's and unknown here: half the
   * classic default is assumed, shorter than any the broker accepts by default, so only safer.
   */
  public Duration leaseTerm() {
    Object set = config.kafkaProperties().get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
    long session =
        consumerProtocol() || set == null
            ? DEFAULT_SESSION_TIMEOUT_MS
            : Long.parseLong(set.toString().trim());
    return Duration.ofMillis(Math.max(1, session / 2));
  }

  private boolean consumerProtocol() {
    return "consumer"
        .equalsIgnoreCase(String.valueOf(config.kafkaProperties().get("group.protocol")).trim());
  }

  /**
   * A share-group consumer with explicit acknowledgement that acquires one record at a time, so a
   * long task never holds up records behind it.
   */
  public KafkaShareConsumer<String, byte[]> shareConsumer(String groupId, String clientSuffix) {
    Map<String, Object> props = base(clientSuffix);
    props
        .keySet()
        .removeIf(k -> k.startsWith("partition.assignment") || k.equals("group.protocol"));
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
    props.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    props.remove(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
    props.remove(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG);
    return new KafkaShareConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * A group-less consumer for reading compacted topics by assignment, committed records only
   * ({@link ConsumerSettings}).
   */
  public KafkaConsumer<String, byte[]> reader(String clientSuffix) {
    Map<String, Object> props = base(clientSuffix);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove("group.protocol");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    ConsumerSettings.enforce(props);
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * A group-less reader that fetches in batches (up to {@code maxWait} late) instead of as soon as
   * one record arrives: for topics read whole where a little delay costs nothing (the ledger), it
   * cuts the fetch requests that the broker and this worker handle.
   */
  public KafkaConsumer<String, byte[]> batchedReader(String clientSuffix, Duration maxWait) {
    Map<String, Object> props = base(clientSuffix);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove("group.protocol");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, BATCH_FETCH_BYTES);
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) maxWait.toMillis());
    ConsumerSettings.enforce(props);
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * The partitions' high watermarks (every record written, committed or not): what a {@code
   * read_committed} consumer's own {@code endOffsets} (the last stable offsets) leave out.
   */
  public Map<TopicPartition, Long> highWatermarks(Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
    try (Admin admin = admin()) {
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin
          .listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
          .all()
          .get(DESCRIBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .forEach((p, info) -> ends.put(p, info.offset()));
      return ends;
    } catch (ExecutionException | TimeoutException e) {
      throw new KafkaException("cannot read the high watermarks of " + partitions, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted reading high watermarks", e);
    }
  }

  /** An admin client (topic creation, offsets). */
  public Admin admin() {
    Map<String, Object> props = base("admin");
    props.keySet().removeIf(k -> k.startsWith("group.") || k.startsWith("partition.assignment"));
    return Admin.create(props);
  }
}
