package io.capsule.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a chaos run does: how many tasks at what rate through how many worker processes, and how the
 * workers are started.
 *
 * @param tasks tasks in the stream (poison records included)
 * @param rate tasks submitted per second
 * @param workers {@code capsule worker} processes
 * @param concurrency task slots per worker
 * @param quick one fault of each kind, shorter faults (for CI)
 * @param workerCommand the command prefix that runs {@code capsule worker} ({@code java -cp …
 *     io.capsule.cli.Main worker})
 * @param workerKafkaProperties Kafka client properties every worker gets ({@code --kafka-config})
 * @param logDir where the workers' logs go, or {@code null} for a new temp directory
 */
public record ChaosOptions(
    int tasks,
    double rate,
    int workers,
    int concurrency,
    boolean quick,
    List<String> workerCommand,
    Map<String, String> workerKafkaProperties,
    Path logDir) {

  /** The workers' consumer session timeout unless the options name one: 6 s, not Kafka's 45 s. */
  public static final String SESSION_TIMEOUT_MS = "6000";

  /** Validates and copies. */
  public ChaosOptions {
    if (tasks < 1 || rate <= 0 || workers < 2 || concurrency < 1) {
      throw new IllegalArgumentException(
          "need tasks >= 1, rate > 0, workers >= 2 (one is faulted while the others serve),"
              + " concurrency >= 1");
    }
    workerCommand = List.copyOf(Objects.requireNonNull(workerCommand, "workerCommand"));
    workerKafkaProperties = Map.copyOf(workerKafkaProperties);
  }

  /**
   * The defaults: the quick form runs 600 tasks at 4/s (150 s) through 3 workers with one fault of
   * each kind; the full form 20,000 at 25/s (about 13 minutes) with every kind several times.
   */
  public static ChaosOptions defaults(boolean quick, List<String> workerCommand) {
    Map<String, String> kafka = new LinkedHashMap<>();
    kafka.put("session.timeout.ms", SESSION_TIMEOUT_MS);
    return quick
        ? new ChaosOptions(600, 4, 3, 4, true, workerCommand, kafka, null)
        : new ChaosOptions(20_000, 25, 3, 4, false, workerCommand, kafka, null);
  }

  /** These options with {@code tasks} tasks. */
  public ChaosOptions withTasks(int count) {
    return new ChaosOptions(
        count, rate, workers, concurrency, quick, workerCommand, workerKafkaProperties, logDir);
  }

  /** These options at {@code perSecond}. */
  public ChaosOptions withRate(double perSecond) {
    return new ChaosOptions(
        tasks,
        perSecond,
        workers,
        concurrency,
        quick,
        workerCommand,
        workerKafkaProperties,
        logDir);
  }

  /** These options with {@code count} worker processes. */
  public ChaosOptions withWorkers(int count) {
    return new ChaosOptions(
        tasks, rate, count, concurrency, quick, workerCommand, workerKafkaProperties, logDir);
  }

  /** These options with the workers' logs in {@code dir}. */
  public ChaosOptions withLogDir(Path dir) {
    return new ChaosOptions(
        tasks, rate, workers, concurrency, quick, workerCommand, workerKafkaProperties, dir);
  }

  /** These options with as many tasks as {@code rate} submits in {@code duration}. */
  public ChaosOptions withDuration(Duration duration) {
    return withTasks((int) Math.max(1, Math.round(rate * duration.toMillis() / 1000.0)));
  }

  /**
   * These options with one more Kafka property for every worker (wins over the defaults). With
   * {@code group.protocol=consumer} (KIP-848) the session timeout is the broker's, so the default
   * {@code session.timeout.ms} is dropped.
   */
  public ChaosOptions withWorkerKafkaProperty(String key, String value) {
    Map<String, String> more = new LinkedHashMap<>(workerKafkaProperties);
    if (key.equals("group.protocol") && value.equalsIgnoreCase("consumer")) {
      more.remove("session.timeout.ms");
    }
    more.put(key, value);
    return new ChaosOptions(tasks, rate, workers, concurrency, quick, workerCommand, more, logDir);
  }

  /**
   * The workers' session timeout in milliseconds: theirs, or with KIP-848 groups the chaos
   * cluster's {@code group.consumer.session.timeout.ms} (6 s).
   */
  long sessionTimeoutMs() {
    String fallback =
        "consumer".equalsIgnoreCase(workerKafkaProperties.get("group.protocol")) ? "6000" : "45000";
    return Long.parseLong(workerKafkaProperties.getOrDefault("session.timeout.ms", fallback));
  }
}
