package io.capsule.protocol;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One topic of the Kafka contract and the settings it is created with — the one list ({@link
 * Topics#specs()}) that the dispatcher's topic admin and the workers' start-up both create from.
 *
 * @param name the topic name
 * @param level the compute level whose requests it carries, or {@code null} for the other topics
 * @param configs the topic configs it is created with (Kafka's names: {@code cleanup.policy},
 *     {@code retention.ms}, {@code max.message.bytes})
 */
public record TopicSpec(String name, ComputeLevel level, Map<String, String> configs) {
  /** Level topics and results are deleted after 7 days. */
  public static final Duration TASK_RETENTION = Duration.ofDays(7);

  /** Dead letters are deleted after 30 days. */
  public static final Duration DEAD_LETTER_RETENTION = Duration.ofDays(30);

  /** The largest module a producer sends to the modules topic. */
  public static final int MAX_MODULE_BYTES = 64 * 1024 * 1024;

  /** What the modules topic accepts beside the module itself (key, headers, batch overhead). */
  public static final int RECORD_OVERHEAD_BYTES = 65536;

  /**
   * The largest record Kafka accepts by default (the broker's {@code message.max.bytes}), which the
   * contract leaves the level, results and events topics at: the largest request, and what an
   * envelope has to fit.
   */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;

  /**
   * What the dead-letter topic accepts ({@code max.message.bytes}): a dead letter holds a request
   * and an envelope, each up to {@link #DEFAULT_MAX_MESSAGE_BYTES}, and the envelope's error
   * message once more at its top, plus its own fields. A larger letter is cut to its coordinates
   * (see {@link DeadLetter#withoutBodies}).
   */
  public static final int MAX_DEAD_LETTER_BYTES =
      3 * DEFAULT_MAX_MESSAGE_BYTES + RECORD_OVERHEAD_BYTES;

  /** Copies the configs. */
  public TopicSpec {
    Objects.requireNonNull(name, "name");
    configs = Map.copyOf(configs);
  }

  /** A topic whose records are deleted after {@code retention}. */
  static TopicSpec retained(String name, ComputeLevel level, Duration retention) {
    return new TopicSpec(
        name,
        level,
        Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(retention.toMillis())));
  }

  /** A compacted topic (the latest record per key is kept). */
  static TopicSpec compacted(String name) {
    return new TopicSpec(name, null, Map.of("cleanup.policy", "compact"));
  }

  /** The configs to create this topic with under {@code replication} (its settings win). */
  public Map<String, String> configs(TopicReplication replication) {
    Map<String, String> all = new LinkedHashMap<>(configs);
    all.putAll(replication.configs());
    return all;
  }

  /** This spec with one more config. */
  TopicSpec with(String config, String value) {
    Map<String, String> more = new LinkedHashMap<>(configs);
    more.put(config, value);
    return new TopicSpec(name, level, more);
  }
}
