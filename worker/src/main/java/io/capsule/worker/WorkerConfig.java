package io.capsule.worker;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.Topics;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

/**
 * A worker's settings, immutable. Build with {@link #builder()}; every setter validates at once.
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers} (required unless given in the Kafka
 *     properties)
 * @param levels the compute levels this worker consumes (default all three)
 * @param mode how the levels are consumed (default {@link ConsumptionMode#CLASSIC})
 * @param concurrency tasks run at once across all levels (default the number of CPUs)
 * @param policy what the operator grants every task, whoever produced it (default {@link
 *     WorkerPolicy#DEFAULT}: no host variables, no files, public hosts, timeouts 5m by default and
 *     15m at most)
 * @param topics topic names (default prefix {@code capsule})
 * @param groupIdPrefix consumer groups are {@code PREFIX-workers-LEVEL} (default {@code capsule})
 * @param memoryBudget the sum of running tasks' ram caps never exceeds it (default 1GB)
 * @param defaultRam the ram cap of a task that names none (default 256MB)
 * @param shutdownGrace how long {@code shutdown()} lets in-flight tasks finish (default 30s)
 * @param runningEventAfter how long an attempt runs before its {@code running} event is published
 *     (default 50ms): attempts that end sooner go from {@code queued} straight to their outcome,
 *     which saves a record per short task; zero publishes it as each attempt starts
 * @param retryBackoff delay before the first retry, doubled per attempt, with jitter (default 1s)
 * @param maxRetryBackoff the largest retry delay (default 60s)
 * @param kafkaProperties any Kafka client properties (security, timeouts...), applied to every
 *     client; the worker's own essentials (serializers, commit mode) win
 * @param workerId this worker's name in envelopes and events (default {@code worker-<random>})
 * @param metricsPort the port of {@code /metrics} and {@code /health}; 0 picks a free one, -1
 *     serves none (default -1)
 * @param createTopics whether missing topics are created at start (default true; refusals by the
 *     cluster's ACLs are logged and ignored)
 * @param environment the host variables the policy's allowlist picks from (default the process
 *     environment); the sandbox is given only the allowlisted ones
 * @param maxDeliveries how many times one attempt of a task may be delivered to a worker that then
 *     died (or lost it) before publishing an outcome; the next delivery dead-letters it (default 3)
 * @param outputs how an attempt's outputs are written (default {@link OutputMode#IDEMPOTENT});
 *     {@link OutputMode#TRANSACTIONAL} needs {@link ConsumptionMode#CLASSIC}
 * @param transactionInterval in transactional mode, how often the open transaction (the outputs of
 *     the attempts that ended meanwhile and their offsets) is committed (default 10ms)
 * @param cacheDir where interpreters for script tasks and compiled modules are kept ({@code null},
 *     the default: the sandbox's default, {@code capsule.cache.dir}, {@code $CAPSULE_CACHE_DIR} or
 *     {@code ~/.cache/capsule})
 */
public record WorkerConfig(
    String bootstrapServers,
    Set<ComputeLevel> levels,
    ConsumptionMode mode,
    int concurrency,
    WorkerPolicy policy,
    Topics topics,
    String groupIdPrefix,
    ByteSize memoryBudget,
    ByteSize defaultRam,
    Duration shutdownGrace,
    Duration runningEventAfter,
    Duration retryBackoff,
    Duration maxRetryBackoff,
    Map<String, String> kafkaProperties,
    String workerId,
    int metricsPort,
    boolean createTopics,
    Map<String, String> environment,
    Path cacheDir,
    int maxDeliveries,
    OutputMode outputs,
    Duration transactionInterval) {

  /** The prefix of environment variables read as Kafka properties. */
  public static final String KAFKA_ENV_PREFIX = "CAPSULE_KAFKA_";

  /** Checks combinations and copies collections. */
  public WorkerConfig {
    levels = Set.copyOf(levels);
    kafkaProperties = Map.copyOf(kafkaProperties);
    environment = Map.copyOf(environment);
    if (levels.isEmpty()) {
      throw new IllegalArgumentException("a worker needs at least one level");
    }
    if (bootstrapServers == null && !kafkaProperties.containsKey("bootstrap.servers")) {
      throw new IllegalArgumentException("bootstrap servers are required");
    }
    if (defaultRam.bytes() > memoryBudget.bytes()) {
      throw new IllegalArgumentException("the default ram exceeds the memory budget");
    }
    if (maxDeliveries < 1) {
      throw new IllegalArgumentException("max deliveries must be at least 1");
    }
    if (outputs == OutputMode.TRANSACTIONAL && mode != ConsumptionMode.CLASSIC) {
      throw new IllegalArgumentException("transactional outputs need the classic consumption mode");
    }
    if (transactionInterval.isNegative() || transactionInterval.isZero()) {
      throw new IllegalArgumentException("the transaction interval must be positive");
    }
    policy.refuseCredentials(environment, kafkaProperties);
  }

  /** The timeout of a task that names none (the policy's). */
  public Duration defaultTimeout() {
    return policy.defaultTimeout();
  }

  /** The consumer group of a level: {@code PREFIX-workers-low}. */
  public String groupId(ComputeLevel level) {
    return groupIdPrefix + "-workers-" + level.topicSuffix();
  }

  /**
   * The share group of a level in share mode: {@code PREFIX-workers-low-share} (group ids are one
   * namespace across group types, so it differs from the classic group's).
   */
  public String shareGroupId(ComputeLevel level) {
    return groupId(level) + "-share";
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Kafka properties from environment variables: {@code CAPSULE_KAFKA_SECURITY_PROTOCOL=SSL}
   * becomes {@code security.protocol=SSL}.
   */
  public static Map<String, String> kafkaPropertiesFromEnvironment(Map<String, String> env) {
    Map<String, String> props = new LinkedHashMap<>();
    env.forEach(
        (name, value) -> {
          if (name.startsWith(KAFKA_ENV_PREFIX) && name.length() > KAFKA_ENV_PREFIX.length()) {
            String key = name.substring(KAFKA_ENV_PREFIX.length());
            props.put(key.toLowerCase(Locale.ROOT).replace('_', '.'), value);
          }
        });
    return props;
  }

  /** Kafka properties from a {@code .properties} file. */
  public static Map<String, String> kafkaPropertiesFromFile(Path file) {
    Properties props = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      props.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Kafka properties " + file, e);
    }
    Map<String, String> map = new LinkedHashMap<>();
    props.stringPropertyNames().forEach(name -> map.put(name, props.getProperty(name)));
    return map;
  }

  /** Builds a {@link WorkerConfig}. */
  public static final class Builder {
    private String bootstrapServers;
    private Set<ComputeLevel> levels =
        EnumSet.of(ComputeLevel.LOW, ComputeLevel.MEDIUM, ComputeLevel.HIGH);
    private ConsumptionMode mode = ConsumptionMode.CLASSIC;
    private int concurrency = Runtime.getRuntime().availableProcessors();
    private WorkerPolicy policy = WorkerPolicy.DEFAULT;
    private Path cacheDir;
    private Topics topics = Topics.DEFAULT;
    private String groupIdPrefix = "capsule";
    private ByteSize memoryBudget = ByteSize.parse("1GB");
    private ByteSize defaultRam = ByteSize.parse("256MB");
    private Duration shutdownGrace = Duration.ofSeconds(30);
    private Duration runningEventAfter = Duration.ofMillis(50);
    private Duration retryBackoff = Duration.ofSeconds(1);
    private Duration maxRetryBackoff = Duration.ofSeconds(60);
    private final Map<String, String> kafkaProperties = new LinkedHashMap<>();
    private String workerId = "worker-" + UUID.randomUUID().toString().substring(0, 8);
    private int metricsPort = -1;
    private boolean createTopics = true;
    private Map<String, String> environment = System.getenv();
    private int maxDeliveries = 3;
    private OutputMode outputs = OutputMode.IDEMPOTENT;
    private Duration transactionInterval = Duration.ofMillis(10);

    private Builder() {}

    /** Sets {@code bootstrap.servers}. */
    public Builder withBootstrapServers(String servers) {
      this.bootstrapServers = requireText(servers, "bootstrap servers");
      return this;
    }

    /** Sets the levels consumed. */
    public Builder withLevels(Set<ComputeLevel> levels) {
      if (levels.contains(ComputeLevel.CUSTOM)) {
        throw new IllegalArgumentException("CUSTOM has no topic; name low, medium or high");
      }
      this.levels = Set.copyOf(levels);
      return this;
    }

    /** Parses a comma-separated level list such as {@code low,medium,high}. */
    public Builder withLevels(String levels) {
      Set<ComputeLevel> parsed = EnumSet.noneOf(ComputeLevel.class);
      for (String name : List.of(levels.split(","))) {
        if (!name.isBlank()) {
          parsed.add(ComputeLevel.valueOf(name.strip().toUpperCase(Locale.ROOT)));
        }
      }
      return withLevels(parsed);
    }

    /** Sets the consumption mode. */
    public Builder withMode(ConsumptionMode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** Sets how many tasks run at once. */
    public Builder withConcurrency(int concurrency) {
      if (concurrency < 1) {
        throw new IllegalArgumentException("concurrency must be at least 1");
      }
      this.concurrency = concurrency;
      return this;
    }

    /** Sets the cache directory (interpreters, compiled modules). */
    public Builder withCacheDir(Path dir) {
      this.cacheDir = dir;
      return this;
    }

    /** Sets the policy: what every task may be granted. */
    public Builder withPolicy(WorkerPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Sets the topic prefix. */
    public Builder withTopicPrefix(String prefix) {
      this.topics = new Topics(prefix);
      return this;
    }

    /** Sets the consumer group prefix. */
    public Builder withGroupIdPrefix(String prefix) {
      this.groupIdPrefix = requireText(prefix, "group id prefix");
      return this;
    }

    /** Sets the memory budget. */
    public Builder withMemoryBudget(ByteSize budget) {
      this.memoryBudget = Objects.requireNonNull(budget, "budget");
      return this;
    }

    /** Sets the ram cap of tasks that name none. */
    public Builder withDefaultRam(ByteSize ram) {
      this.defaultRam = Objects.requireNonNull(ram, "ram");
      return this;
    }

    /** Sets how long shutdown waits for in-flight tasks. */
    public Builder withShutdownGrace(Duration grace) {
      if (grace.isNegative()) {
        throw new IllegalArgumentException("shutdown grace cannot be negative");
      }
      this.shutdownGrace = grace;
      return this;
    }

    /**
     * Sets how long an attempt runs before its {@code running} event is published; zero publishes
     * it at once.
     */
    public Builder withRunningEventAfter(Duration after) {
      if (after.isNegative()) {
        throw new IllegalArgumentException("running event delay cannot be negative");
      }
      this.runningEventAfter = after;
      return this;
    }

    /** Sets the first and the largest retry delay. */
    public Builder withRetryBackoff(Duration first, Duration max) {
      requirePositive(first, "retry backoff");
      if (max.compareTo(first) < 0) {
        throw new IllegalArgumentException("max retry backoff is shorter than the first");
      }
      this.retryBackoff = first;
      this.maxRetryBackoff = max;
      return this;
    }

    /** Adds one Kafka client property. */
    public Builder withKafkaProperty(String key, String value) {
      kafkaProperties.put(requireText(key, "property name"), Objects.requireNonNull(value));
      return this;
    }

    /** Adds Kafka client properties (later calls win). */
    public Builder withKafkaProperties(Map<String, String> properties) {
      properties.forEach(this::withKafkaProperty);
      return this;
    }

    /** Sets the worker id. */
    public Builder withWorkerId(String id) {
      this.workerId = requireText(id, "worker id");
      return this;
    }

    /** Sets the metrics port (0 = any free port, -1 = none). */
    public Builder withMetricsPort(int port) {
      if (port < -1 || port > 65535) {
        throw new IllegalArgumentException("metrics port out of range: " + port);
      }
      this.metricsPort = port;
      return this;
    }

    /** Sets whether missing topics are created at start. */
    public Builder withCreateTopics(boolean create) {
      this.createTopics = create;
      return this;
    }

    /** Sets the variables {@code env_variables} pick from. */
    public Builder withEnvironment(Map<String, String> environment) {
      this.environment = Map.copyOf(environment);
      return this;
    }

    /**
     * Sets how many deliveries of one attempt may end with their worker gone before the next one
     * dead-letters the task.
     */
    public Builder withMaxDeliveries(int deliveries) {
      if (deliveries < 1) {
        throw new IllegalArgumentException("max deliveries must be at least 1");
      }
      this.maxDeliveries = deliveries;
      return this;
    }

    /** Sets how an attempt's outputs are written. */
    public Builder withOutputs(OutputMode outputs) {
      this.outputs = Objects.requireNonNull(outputs, "outputs");
      return this;
    }

    /** Sets how often a transactional worker commits its open transaction. */
    public Builder withTransactionInterval(Duration interval) {
      requirePositive(interval, "transaction interval");
      this.transactionInterval = interval;
      return this;
    }

    /** Checks combinations and builds. */
    public WorkerConfig build() {
      return new WorkerConfig(
          bootstrapServers,
          levels,
          mode,
          concurrency,
          policy,
          topics,
          groupIdPrefix,
          memoryBudget,
          defaultRam,
          shutdownGrace,
          runningEventAfter,
          retryBackoff,
          maxRetryBackoff,
          kafkaProperties,
          workerId,
          metricsPort,
          createTopics,
          environment,
          cacheDir,
          maxDeliveries,
          outputs,
          transactionInterval);
    }

    private static String requireText(String value, String what) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(what + " must not be blank");
      }
      return value;
    }

    private static Duration requirePositive(Duration value, String what) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be positive");
      }
      return value;
    }
  }
}
