package io.capsule.bench;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ConsumerSettings;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the results, events and dead-letter topics whole and checks every submitted task against
 * what its kind must end with: a final state as its last event, at least one envelope, the right
 * envelope (success, or {@code task_error} after exactly the asked retries; a success never later
 * than the task's timeout), at most one final envelope, and every poison record dead-lettered.
 */
final class ChaosAudit {
  private static final Duration POLL = Duration.ofMillis(500);
  private static final long TIMEOUT_SLACK_MS = 1_000;

  private final String servers;
  private final Topics topics;
  private final long start;

  /** An audit of the run that started at {@code startMillis} (times are reported from it). */
  ChaosAudit(String servers, Topics topics, long startMillis) {
    this.servers = servers;
    this.topics = topics;
    this.start = startMillis;
  }

  /**
   * The verdict over {@code submitted}.
   *
   * @param tasks tasks submitted (poison records included)
   * @param lost tasks without an envelope on the results topic (poison: not dead-lettered)
   * @param duplicateFinals envelopes beyond the first per task
   * @param wrongResults tasks whose first envelope is not what their kind must end with
   * @param staleStates tasks with an envelope whose last event is not final ({@code running} after
   *     the outcome)
   * @param examples a few wrong or stale tasks, for the report
   * @param completedAtMillis when each task's first envelope was written
   * @param duplicateAtMillis when each envelope beyond a task's first was written
   */
  record Verdict(
      int tasks,
      int lost,
      int duplicateFinals,
      int wrongResults,
      int staleStates,
      List<String> examples,
      Map<String, Long> completedAtMillis,
      List<Long> duplicateAtMillis) {

    /** Whether every non-poison task has an envelope and every poison record a dead letter. */
    boolean complete() {
      return lost == 0;
    }
  }

  Verdict check(Map<String, ChaosLoad.Submitted> submitted) {
    Map<String, List<ConsumerRecord<String, byte[]>>> results = readAll(topics.results());
    Map<String, LifecycleEvent> lastEvents = lastEvents();
    Map<String, String> deadReasons = new HashMap<>();
    readAll(topics.deadLetters())
        .forEach(
            (id, records) ->
                records.forEach(r -> deadReasons.put(id, read(r, DeadLetter.class).reason())));
    int lost = 0;
    int duplicates = 0;
    int wrong = 0;
    int stale = 0;
    List<String> examples = new ArrayList<>();
    Map<String, Long> completed = new HashMap<>();
    List<Long> duplicateTimes = new ArrayList<>();
    for (ChaosLoad.Submitted task : submitted.values()) {
      if (task.kind() == ChaosTaskKind.POISON) {
        if (!DeadLetter.UNREADABLE.equals(deadReasons.get(task.id()))) {
          lost++;
          note(examples, task.id() + " poison not dead-lettered");
        }
        continue;
      }
      List<ConsumerRecord<String, byte[]>> envelopes = results.getOrDefault(task.id(), List.of());
      LifecycleEvent last = lastEvents.get(task.id());
      boolean finalState = last != null && last.state().terminal();
      if (envelopes.isEmpty()) {
        lost++;
        note(examples, task.id() + " " + task.kind() + " no envelope, last event " + state(last));
        continue;
      }
      completed.put(task.id(), envelopes.get(0).timestamp());
      duplicates += envelopes.size() - 1;
      envelopes.stream().skip(1).forEach(r -> duplicateTimes.add(r.timestamp()));
      ResultEnvelope first = read(envelopes.get(0), ResultEnvelope.class);
      if (envelopes.size() > 1) {
        note(examples, task.id() + " " + envelopes.size() + " envelopes: " + origins(envelopes));
      }
      String mismatch = mismatch(task.kind(), first, deadReasons.get(task.id()));
      if (mismatch != null) {
        wrong++;
        note(examples, task.id() + " " + mismatch);
      }
      if (!finalState) {
        stale++;
        note(examples, task.id() + " has an envelope but its last event is " + state(last));
      }
    }
    return new Verdict(
        submitted.size(), lost, duplicates, wrong, stale, examples, completed, duplicateTimes);
  }

  private static String mismatch(ChaosTaskKind kind, ResultEnvelope envelope, String deadReason) {
    String mismatch = kind.mismatch(envelope);
    if (mismatch != null) {
      return mismatch;
    }
    long limit = ChaosLoad.taskTimeout().toMillis() + TIMEOUT_SLACK_MS;
    if (envelope.success() && envelope.execution().durationMs() > limit) {
      return "success after " + envelope.execution().durationMs() + " ms, past its timeout";
    }
    if (kind == ChaosTaskKind.FAIL && !DeadLetter.RETRIES_EXHAUSTED.equals(deadReason)) {
      return "failed task not dead-lettered as retries_exhausted (" + deadReason + ")";
    }
    return null;
  }

  /** Who wrote each envelope and when: {@code worker at +Ts attempt N success|type Dms}. */
  private String origins(List<ConsumerRecord<String, byte[]>> envelopes) {
    List<String> origins = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> record : envelopes) {
      ResultEnvelope envelope = read(record, ResultEnvelope.class);
      origins.add(
          envelope.worker()
              + " at +"
              + String.format(java.util.Locale.ROOT, "%.1fs", (record.timestamp() - start) / 1000.0)
              + " attempt "
              + envelope.attempt()
              + " "
              + (envelope.success() ? "success" : envelope.error().errorType().wireName())
              + " "
              + envelope.execution().durationMs()
              + "ms");
    }
    return String.join(", ", origins);
  }

  private static String state(LifecycleEvent event) {
    return event == null ? "none" : event.state().wireName();
  }

  private static void note(List<String> examples, String example) {
    if (examples.size() < 20) {
      examples.add(example);
    }
  }

  private Map<String, LifecycleEvent> lastEvents() {
    Map<String, LifecycleEvent> last = new HashMap<>();
    readAll(topics.events())
        .forEach(
            (id, records) ->
                last.put(id, read(records.get(records.size() - 1), LifecycleEvent.class)));
    return last;
  }

  /** Every record of {@code topic} by key, in offset order per partition. */
  private Map<String, List<ConsumerRecord<String, byte[]>>> readAll(String topic) {
    Map<String, List<ConsumerRecord<String, byte[]>>> byKey = new HashMap<>();
    each(topic, (key, record) -> byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(record));
    return byKey;
  }

  private void each(String topic, BiConsumer<String, ConsumerRecord<String, byte[]>> sink) {
    try (KafkaConsumer<String, byte[]> consumer = consumer()) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
          if (record.key() != null && record.value() != null) {
            sink.accept(record.key(), record);
          }
        }
      }
    }
  }

  private KafkaConsumer<String, byte[]> consumer() {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "chaos-audit");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
    // what a client sees: a transactional worker's aborted outputs are not outcomes
    ConsumerSettings.enforce(props);
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  private static <T> T read(ConsumerRecord<String, byte[]> record, Class<T> type) {
    return CapsuleJson.read(new String(record.value(), StandardCharsets.UTF_8), type);
  }
}
