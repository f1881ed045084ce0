package io.capsule.worker.internal;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.WireHeader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The intake both consumer modes share. It reads a fetched record and settles it when it cannot run
 * — dead-lettered when it is no readable request, dropped when it was cancelled before it was read,
 * refused ({@code invalid_request}) when its ram cap can never fit this worker — or makes it a
 * {@link TaskItem}; an item the consumer admitted is handed to the task pool here. Flow control
 * (when to take, wait, commit or acknowledge) stays with each consumer.
 */
public final class RecordIntake {
  private static final Logger LOG = LoggerFactory.getLogger(RecordIntake.class);
  private static final int MAX_WHY_CHARS = 1_000;

  /** The most of an unreadable record's value its dead letter carries. */
  static final int MAX_RAW_BYTES = 512 * 1024;

  /**
   * The ram reserved for a request: its cap, or {@code defaultBytes}, never above {@code maxBytes}
   * (the policy's largest: a larger cap is refused or lowered to it before the task runs).
   */
  public record Ram(long defaultBytes, long maxBytes) {
    long of(TaskRequest request) {
      long declared =
          request.limits().ram() == null ? defaultBytes : request.limits().ram().bytes();
      return Math.min(declared, maxBytes);
    }
  }

  /**
   * What became of a record: an {@code item} to run ({@code settled} is {@code null}), or {@code
   * settled}, which completes once whatever the record needed instead (a dead letter, a refusal)
   * was acknowledged; a refused record's {@code item} is set too.
   */
  public record Taken(TaskItem item, CompletableFuture<Void> settled) {
    /** Whether the record waits to run. */
    public boolean runnable() {
      return settled == null;
    }
  }

  private final TaskRunner runner;
  private final OutcomePublisher outcomes;
  private final CancelWatch cancels;
  private final Admission admission;
  private final Executor pool;
  private final Ram ram;

  /** Items run by {@code runner} on {@code pool}; others settled through {@code outcomes}. */
  public RecordIntake(
      TaskRunner runner,
      OutcomePublisher outcomes,
      CancelWatch cancels,
      Admission admission,
      Executor pool,
      Ram ram) {
    this.runner = runner;
    this.outcomes = outcomes;
    this.cancels = cancels;
    this.admission = admission;
    this.pool = pool;
    this.ram = ram;
  }

  /** Takes in a record of {@code level}, delivered as {@code delivery} says. */
  public Taken take(
      ConsumerRecord<String, byte[]> record, String level, TaskItem.Delivery delivery) {
    Read read = read(record);
    if (read.request() == null) {
      return settled(null, deadLetter(record, level, read.unreadable()));
    }
    TaskRequest request = read.request();
    if (cancels.cancelledAfter(request.id(), record.timestamp())) {
      LOG.info("task {} was cancelled; not running it", request.id());
      return settled(null, CompletableFuture.completedFuture(null));
    }
    TaskItem item =
        new TaskItem(
            new TopicPartition(record.topic(), record.partition()),
            record.offset(),
            record.timestamp(),
            level,
            request,
            ram.of(request),
            traceparent(record),
            delivery);
    if (!admission.fitsAtAll(item.ram())) {
      String why = "ram " + request.limits().ram() + " exceeds this worker's memory budget";
      return settled(item, outcomes.reject(item, ErrorType.INVALID_REQUEST, why));
    }
    return new Taken(item, null);
  }

  /**
   * Hands an admitted item to the task pool; {@code release} gives back its admission once its
   * attempt is over (or at once when the pool refuses it).
   *
   * @return completes when the item's outputs were acknowledged
   */
  public CompletableFuture<Void> start(TaskItem item, Runnable release) {
    CompletableFuture<Void> finished = new CompletableFuture<>();
    try {
      pool.execute(() -> runner.run(item, release).whenComplete(completing(finished)));
    } catch (RejectedExecutionException e) {
      release.run();
      finished.completeExceptionally(e);
    }
    return finished;
  }

  private static java.util.function.BiConsumer<Void, Throwable> completing(
      CompletableFuture<Void> finished) {
    return (ok, error) -> {
      if (error == null) {
        finished.complete(null);
      } else {
        finished.completeExceptionally(error);
      }
    };
  }

  private static Taken settled(TaskItem item, CompletableFuture<Void> settled) {
    return new Taken(item, settled);
  }

  /**
   * Dead-letters an unreadable record with as much of it as a dead letter can carry: its key cut to
   * {@link TaskRequest#MAX_ID_LENGTH} characters and its value to {@link #MAX_RAW_BYTES} (base64 on
   * the wire), so the dead letter stays within the broker's default record size and the record can
   * be settled (a dead letter the broker refused would hold back the partition's commits).
   */
  private CompletableFuture<Void> deadLetter(
      ConsumerRecord<String, byte[]> record, String level, String why) {
    String source = record.topic() + "/" + record.partition() + "/" + record.offset();
    LOG.warn("unreadable record at {}: {}", source, why);
    String reason = why.length() > MAX_WHY_CHARS ? why.substring(0, MAX_WHY_CHARS) + "…" : why;
    String key = record.key();
    if (key != null && key.length() > TaskRequest.MAX_ID_LENGTH) {
      reason +=
          "; key cut to its first "
              + TaskRequest.MAX_ID_LENGTH
              + " of "
              + key.length()
              + " characters";
      key = key.substring(0, TaskRequest.MAX_ID_LENGTH);
    }
    byte[] raw = record.value();
    if (raw != null && raw.length > MAX_RAW_BYTES) {
      reason += "; value cut to its first " + MAX_RAW_BYTES + " of " + raw.length + " bytes";
      raw = Arrays.copyOf(raw, MAX_RAW_BYTES);
    }
    DeadLetter letter = DeadLetter.unreadable(key, raw, reason, source);
    return outcomes.unreadable(level, letter, traceparent(record));
  }

  /** The result of reading: a request, or the reason it is unreadable. */
  record Read(TaskRequest request, String unreadable) {}

  /** Reads the record's value; never throws. */
  static Read read(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null || record.value().length == 0) {
      return new Read(null, "empty record value");
    }
    try {
      return new Read(CapsuleJson.read(record.value(), TaskRequest.class), null);
    } catch (RuntimeException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return new Read(null, why.lines().findFirst().orElse(why));
    }
  }

  /**
   * The {@code traceparent} header's value, or {@code null} when there is none or it is not a W3C
   * traceparent ({@link WireHeader#isTraceparent}): it is copied onto every output of the task.
   */
  static String traceparent(ConsumerRecord<String, byte[]> record) {
    Header header = record.headers().lastHeader(WireHeader.TRACEPARENT);
    if (header == null || header.value() == null || header.value().length != 55) {
      return null;
    }
    String value = new String(header.value(), StandardCharsets.UTF_8);
    return WireHeader.isTraceparent(value) ? value : null;
  }
}
