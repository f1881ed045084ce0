package io.capsule.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Topic names of the Kafka contract, under a configurable prefix (default {@code capsule}).
 *
 * @param prefix the prefix, without the trailing dot
 */
public record Topics(String prefix) {
  /** The default names: {@code capsule.tasks.low} and so on. */
  public static final Topics DEFAULT = new Topics("capsule");

  /**
   * The schema id of a record on {@link #modules()} (its value is the module's bytes). The other
   * records' ids are on their types: {@link TaskRequest#SCHEMA}, {@link ResultEnvelope#SCHEMA},
   * {@link LifecycleEvent#SCHEMA}, {@link DeadLetter#SCHEMA}, {@link TaskCancel#SCHEMA}.
   */
  public static final String MODULE_SCHEMA = "capsule.module/v1";

  /** The schema id of a record on {@link #replayMarkers()}. */
  public static final String REPLAY_MARKER_SCHEMA = "capsule.replay/v1";

  /** Validates the prefix. */
  public Topics {
    Objects.requireNonNull(prefix, "prefix");
    if (!prefix.matches("[a-zA-Z0-9._-]+")) {
      throw new InvalidRequestException(
          "topic prefix '" + prefix + "' has characters Kafka refuses");
    }
  }

  /** The requests topic of a level: {@code PREFIX.tasks.low}. */
  public String tasks(ComputeLevel level) {
    if (level == ComputeLevel.CUSTOM) {
      throw new IllegalArgumentException("CUSTOM fuel routes to a named level first");
    }
    return prefix + ".tasks." + level.topicSuffix();
  }

  /** The default reply topic: {@code PREFIX.results}. */
  public String results() {
    return prefix + ".results";
  }

  /** The compacted lifecycle topic: {@code PREFIX.events}. */
  public String events() {
    return prefix + ".events";
  }

  /** The compacted, content-addressed module topic: {@code PREFIX.modules}. */
  public String modules() {
    return prefix + ".modules";
  }

  /**
   * Cancels ({@link TaskCancel}), keyed by task id; every worker follows it.
   *
   * @return {@code PREFIX.cancels}
   */
  public String cancels() {
    return prefix + ".cancels";
  }

  /** The dead-letter topic: {@code PREFIX.dlq}. */
  public String deadLetters() {
    return prefix + ".dlq";
  }

  /** The compacted topic of dead-letter replay markers: {@code PREFIX.dlq.replayed}. */
  public String replayMarkers() {
    return deadLetters() + ".replayed";
  }

  /**
   * Every topic of the contract with the settings it is created with, in a stable order: the three
   * level topics, results and cancels (deleted after {@link TopicSpec#TASK_RETENTION}), dead
   * letters ({@link TopicSpec#DEAD_LETTER_RETENTION}; records up to {@link
   * TopicSpec#MAX_DEAD_LETTER_BYTES}, so a letter holds a maximal request and envelope), and the
   * compacted events, modules (records up to {@link TopicSpec#MAX_MODULE_BYTES} plus overhead) and
   * replay markers.
   */
  public List<TopicSpec> specs() {
    List<TopicSpec> specs = new ArrayList<>();
    for (ComputeLevel level : List.of(ComputeLevel.LOW, ComputeLevel.MEDIUM, ComputeLevel.HIGH)) {
      specs.add(TopicSpec.retained(tasks(level), level, TopicSpec.TASK_RETENTION));
    }
    specs.add(TopicSpec.retained(results(), null, TopicSpec.TASK_RETENTION));
    specs.add(TopicSpec.compacted(events()));
    specs.add(
        TopicSpec.compacted(modules())
            .with(
                "max.message.bytes",
                Integer.toString(TopicSpec.MAX_MODULE_BYTES + TopicSpec.RECORD_OVERHEAD_BYTES)));
    specs.add(
        TopicSpec.retained(deadLetters(), null, TopicSpec.DEAD_LETTER_RETENTION)
            .with("max.message.bytes", Integer.toString(TopicSpec.MAX_DEAD_LETTER_BYTES)));
    specs.add(TopicSpec.retained(cancels(), null, TopicSpec.TASK_RETENTION));
    specs.add(TopicSpec.compacted(replayMarkers()));
    return List.copyOf(specs);
  }
}
