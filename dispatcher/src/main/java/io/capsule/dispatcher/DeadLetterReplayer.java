package io.capsule.dispatcher;

import io.capsule.dispatcher.internal.KafkaSettings;
import io.capsule.dispatcher.internal.Sends;
import io.capsule.dispatcher.internal.TopicScan;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.protocol.Topics;
import io.capsule.protocol.WireHeader;
import io.capsule.protocol.WireRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;

/**
 * Puts dead-lettered tasks back on their level topics, each dead letter once.
 *
 * <p>It reads the dead-letter topic from the beginning to its current end, keeps the letters that
 * match a {@link Filter} and hold a readable request, and republishes each request as a first
 * attempt ({@link TaskRequest#firstAttempt()}) with a {@code queued} event. Every replayed letter
 * gets a marker on the compacted {@link #markerTopic(Topics) PREFIX.dlq.replayed} topic, keyed by
 * the letter's {@code topic/partition/offset}, so a later replay skips it whatever its filter; a
 * task that fails again is a new letter at a new offset and can be replayed again. Markers are
 * written after the requests are acknowledged: a crash in between can replay a letter twice, which
 * workers absorb by task id. Run one replay at a time.
 *
 * <p>A letter whose request was left out because it was too large for a record is listed as {@link
 * Outcome#REQUEST_OMITTED} and not replayed: this replayer reads only the dead-letter topic. Its
 * request is still on its level topic, at the letter's {@code source}, until that topic's
 * retention; an operator who wants it run again submits it from there.
 */
public final class DeadLetterReplayer implements AutoCloseable {
  private static final String MARKER_SCHEMA = Topics.REPLAY_MARKER_SCHEMA;

  private final FleetConnection connection;
  private final Duration timeout;
  private final Producer<String, byte[]> producer;

  private DeadLetterReplayer(FleetConnection connection, Duration timeout) {
    this.connection = connection;
    this.timeout = timeout;
    this.producer = new KafkaProducer<>(KafkaSettings.producer(connection, "replay"));
  }

  /** Connects a replayer that gives up reading a topic after {@code timeout}. */
  public static DeadLetterReplayer connect(FleetConnection connection, Duration timeout) {
    return new DeadLetterReplayer(connection, timeout);
  }

  /** The compacted topic of replay markers: {@code PREFIX.dlq.replayed}. */
  public static String markerTopic(Topics topics) {
    return topics.replayMarkers();
  }

  /**
   * Which dead letters to replay.
   *
   * @param errorType only letters whose last error has this type, or {@code null} for all
   * @param since only letters dead-lettered at or after this instant, or {@code null} for all
   */
  public record Filter(ErrorType errorType, Instant since) {
    /** Every dead letter. */
    public static final Filter ALL = new Filter(null, null);

    boolean matches(DeadLetter letter, long recordTimestamp) {
      long at = letter.at() > 0 ? letter.at() : recordTimestamp;
      return (errorType == null || errorType == letter.errorType())
          && (since == null || at >= since.toEpochMilli());
    }
  }

  /** What happened to one matching dead letter. */
  public enum Outcome {
    /** Put back on its level topic now. */
    REPLAYED,
    /** Would be put back (dry run). */
    WOULD_REPLAY,
    /** Replayed by an earlier run; left alone. */
    ALREADY_REPLAYED,
    /** It holds no readable request (an unreadable record); it cannot be replayed. */
    NOT_REPLAYABLE,
    /**
     * Its request was left out because the letter was too large for a record ({@link
     * DeadLetter#omitted()}); it cannot be replayed from the dead letter. The request is still on
     * its level topic at the letter's {@link DeadLetter#source()} until that topic's retention.
     */
    REQUEST_OMITTED
  }

  /**
   * One matching dead letter.
   *
   * @param taskId the task id (or the unreadable record's key; may be {@code null})
   * @param source the dead letter's {@code topic/partition/offset}
   * @param errorType the last error's type
   * @param at when it was dead-lettered
   * @param level the level topic it goes back to, or {@code null} when not replayable
   * @param outcome what this run did with it
   */
  public record Entry(
      String taskId,
      String source,
      ErrorType errorType,
      Instant at,
      ComputeLevel level,
      Outcome outcome) {}

  /**
   * The result of a run.
   *
   * @param entries every dead letter that matched the filter, in topic order per partition
   */
  public record Report(List<Entry> entries) {
    /** Copies the list. */
    public Report {
      entries = List.copyOf(entries);
    }

    /** How many entries had the outcome. */
    public long count(Outcome outcome) {
      return entries.stream().filter(e -> e.outcome() == outcome).count();
    }
  }

  /**
   * Replays the matching dead letters not replayed before.
   *
   * @param filter which letters
   * @param dryRun when {@code true}, only lists what would be replayed and publishes nothing
   */
  public Report replay(Filter filter, boolean dryRun) {
    return replay(filter, dryRun, (done, total) -> {});
  }

  /** Reports how many republished letters Kafka acknowledged so far, out of how many. */
  @FunctionalInterface
  public interface Progress {
    /** Called on the replaying thread after each acknowledgement (and once with 0 done). */
    void update(int done, int total);
  }

  /**
   * Replays the matching dead letters not replayed before, reporting progress.
   *
   * @param filter which letters
   * @param dryRun when {@code true}, only lists what would be replayed and publishes nothing
   * @param progress told of each acknowledged republish
   */
  public Report replay(Filter filter, boolean dryRun, Progress progress) {
    Set<String> done = replayedSources();
    List<Entry> entries = new ArrayList<>();
    List<CompletableFuture<?>> sends = new ArrayList<>();
    scan(
        connection.topics().deadLetters(),
        record -> {
          Entry entry = consider(record, filter, done, dryRun, sends);
          if (entry != null) {
            entries.add(entry);
          }
        });
    progress.update(0, sends.size());
    for (int i = 0; i < sends.size(); i++) {
      join(sends.get(i));
      progress.update(i + 1, sends.size());
    }
    return new Report(entries);
  }

  private Entry consider(
      ConsumerRecord<String, byte[]> record,
      Filter filter,
      Set<String> done,
      boolean dryRun,
      List<CompletableFuture<?>> sends) {
    DeadLetter letter = parse(record);
    if (letter == null || !filter.matches(letter, record.timestamp())) {
      return null;
    }
    String source = record.topic() + "/" + record.partition() + "/" + record.offset();
    Instant at = Instant.ofEpochMilli(letter.at() > 0 ? letter.at() : record.timestamp());
    if (!letter.replayable()) {
      Outcome outcome =
          letter.bodiesOmitted() && !DeadLetter.UNREADABLE.equals(letter.reason())
              ? Outcome.REQUEST_OMITTED
              : Outcome.NOT_REPLAYABLE;
      return new Entry(letter.taskId(), source, letter.errorType(), at, null, outcome);
    }
    TaskRequest request = letter.request().firstAttempt();
    Outcome outcome =
        done.contains(source)
            ? Outcome.ALREADY_REPLAYED
            : dryRun ? Outcome.WOULD_REPLAY : Outcome.REPLAYED;
    if (outcome == Outcome.REPLAYED) {
      sends.add(republish(request, source));
    }
    return new Entry(request.id(), source, letter.errorType(), at, request.level(), outcome);
  }

  private CompletableFuture<?> republish(TaskRequest request, String source) {
    String id = request.id();
    String trace = WireHeader.newTraceparent();
    LifecycleEvent queued =
        LifecycleEvent.of(id, TaskState.QUEUED, request.level().topicSuffix(), 1, null)
            .withError(null, "replayed from " + source);
    var event =
        WireRecord.json(connection.topics().events(), LifecycleEvent.SCHEMA, id, queued, trace);
    var task =
        WireRecord.json(
            connection.topics().tasks(request.level()), TaskRequest.SCHEMA, id, request, trace);
    Map<String, Object> mark =
        Map.of(
            "schema",
            MARKER_SCHEMA,
            "task_id",
            id,
            "source",
            source,
            "replayed_at",
            System.currentTimeMillis());
    var marker =
        WireRecord.of(
            markerTopic(connection.topics()), source, json(mark), MARKER_SCHEMA, id, trace);
    // Chained sends run on the common pool, not on the producer's I/O thread.
    return Sends.send(producer, event, "queued event")
        .thenComposeAsync(m -> Sends.send(producer, task, "task " + id))
        .thenComposeAsync(m -> Sends.send(producer, marker, "replay marker"));
  }

  private Set<String> replayedSources() {
    Set<String> sources = new HashSet<>();
    scan(
        markerTopic(connection.topics()),
        r -> {
          if (r.value() != null) {
            sources.add(r.key());
          } else {
            sources.remove(r.key());
          }
        });
    return sources;
  }

  private void scan(
      String topic, java.util.function.Consumer<ConsumerRecord<String, byte[]>> sink) {
    try (var consumer =
        new KafkaConsumer<String, byte[]>(KafkaSettings.reader(connection, "replay"))) {
      TopicScan.scan(consumer, TopicScan.partitions(consumer, topic), timeout, sink);
    }
  }

  private static DeadLetter parse(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      return null;
    }
    try {
      return CapsuleJson.read(new String(record.value(), StandardCharsets.UTF_8), DeadLetter.class);
    } catch (CapsuleException | IllegalArgumentException | NullPointerException e) {
      return null; // not a dead letter of this schema: nothing to replay
    }
  }

  private static byte[] json(Object value) {
    return CapsuleJson.write(value).getBytes(StandardCharsets.UTF_8);
  }

  private static void join(CompletableFuture<?> future) {
    try {
      future.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /** Closes the producer. */
  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
