package io.capsule.worker.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The committer of a transactional worker's outputs for one level (one classic consumer group, one
 * poll thread, one transactional producer). Task threads finish out of order: each attempt's
 * outputs are first staged on its own thread ({@link #atomically}), then handed to the producer in
 * one piece inside the open transaction, and its record's offset is marked done in the level's
 * {@link OffsetTracker} at the same moment. Every {@code interval} the poll thread commits the
 * transaction together with the offsets up to each partition's contiguous done position ({@code
 * sendOffsetsToTransaction} with the consumer's group metadata, KIP-447): an attempt's outputs and
 * the advance of its offset become visible to {@code read_committed} readers together, or not at
 * all.
 *
 * <p>A commit the group coordinator refuses (this worker's generation is stale: a zombie), a fenced
 * producer, a send that failed: the transaction is aborted, every output in it is dropped (their
 * futures fail with {@link OutputsFencedException#lost}), the producer is replaced when it cannot
 * abort, and the poll thread rewinds its partitions to their committed offsets ({@link
 * Commit#ABORTED}) so that the attempts run again, here or at the partitions' new owner.
 *
 * <p>Outputs sent outside an attempt's scope (a running event on its timer, a sub-task request, a
 * dead letter for an unreadable record) join the open transaction on their own. Every commit also
 * carries the consumer's positions of the partitions it holds records of, so that even a
 * transaction holding only such outputs is fenced by the group generation.
 *
 * <p>Locking: sends hold the read lock (many task threads at once); commit, abort and revocation
 * hold the write lock, so no attempt's outputs are split across two transactions and no attempt of
 * a revoked partition joins a transaction after its revocation (its {@link Lease.Claim} is checked
 * under the read lock).
 */
public final class TransactionalOutputs {
  /** What a {@link #commit} did. */
  public enum Commit {
    /** Nothing was open or due. */
    IDLE,
    /** Committed, with offsets: the coordinator checked the group generation (a confirmation). */
    CONFIRMED,
    /** Failed and aborted: the caller rewinds its partitions. */
    ABORTED
  }

  private static final Logger LOG = LoggerFactory.getLogger(TransactionalOutputs.class);
  private static final ThreadLocal<Unit> STAGING = new ThreadLocal<>();

  /**
   * How many times a commit is called before a time-out aborts the transaction: with the producer's
   * {@code max.block.ms} each (15 s by default), a minute, longer than a coordinator's failover.
   */
  static final int COMMIT_TRIES = 4;

  /** A bound on a record's size beyond its key, value and headers (batch and record framing). */
  static final int RECORD_FRAMING_BYTES = 512;

  private final Supplier<Producer<String, byte[]>> producers;
  private final OffsetTracker offsets;
  private final long intervalNanos;
  private final int maxRecordBytes;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final Object opening = new Object();
  private final Queue<CompletableFuture<Void>> pending = new ConcurrentLinkedQueue<>();
  private volatile Producer<String, byte[]> producer; // replaced under opening or the write lock
  private volatile boolean open;
  private volatile Throwable doomed;
  private final Map<TopicPartition, Long> committed = new HashMap<>(); // poll thread only
  private long lastCommit; // poll thread only
  private long aborts; // poll thread only

  /**
   * A committer over producers made by {@code producers} (transactional, not yet initialised; a new
   * one replaces one that cannot abort), marking offsets done in {@code offsets}, committing every
   * {@code interval}; records larger than {@code maxRecordBytes} fail at once, unsent (a record the
   * producer refuses would abort the whole transaction again each time it ran).
   */
  public TransactionalOutputs(
      Supplier<Producer<String, byte[]>> producers,
      OffsetTracker offsets,
      Duration interval,
      int maxRecordBytes) {
    this.producers = producers;
    this.offsets = offsets;
    this.intervalNanos = interval.toNanos();
    this.maxRecordBytes = maxRecordBytes;
  }

  /** How often the open transaction is committed. */
  public Duration interval() {
    return Duration.ofNanos(intervalNanos);
  }

  /** Whether a transaction is open (outputs wait for the next commit). */
  public boolean open() {
    return open || doomed != null;
  }

  /** Transactions aborted so far (poll thread). */
  public long aborts() {
    return aborts;
  }

  /**
   * Runs {@code outputs} (the item's outputs, sent through an {@link OutputPublisher}) staging
   * every record they send, then hands them to the producer in one piece inside the open
   * transaction and marks the item's offset done — unless its claim was lost meanwhile (its
   * partition was revoked, lost or rewound): then nothing is sent and the outputs fail with {@link
   * OutputsFencedException#lost}. Nested calls join the outer attempt's outputs.
   *
   * @return what {@code outputs} returned: completes when the transaction committed
   */
  public CompletableFuture<Void> atomically(
      TaskItem item, Supplier<CompletableFuture<Void>> outputs) {
    if (STAGING.get() != null) {
      return outputs.get();
    }
    Unit unit = new Unit(item);
    STAGING.set(unit);
    CompletableFuture<Void> result;
    try {
      result = outputs.get();
    } catch (RuntimeException e) {
      unit.fail(e);
      throw e;
    } finally {
      STAGING.remove();
    }
    submit(unit);
    return result;
  }

  /**
   * Stages {@code record} in the calling thread's attempt ({@link #atomically}), if any.
   *
   * @return its future (completes when its transaction committed), or {@code null} when the thread
   *     stages nothing
   */
  static CompletableFuture<Void> stage(ProducerRecord<String, byte[]> record) {
    Unit unit = STAGING.get();
    return unit == null ? null : unit.add(record);
  }

  /** Sends one record in the open transaction, outside any attempt's outputs. */
  public CompletableFuture<Void> send(ProducerRecord<String, byte[]> record) {
    CompletableFuture<Void> committed = new CompletableFuture<>();
    if (refuseTooLarge(record, committed)) {
      return committed;
    }
    lock.readLock().lock();
    try {
      ensureOpen();
      hand(record, committed);
    } catch (RuntimeException e) {
      doom(e);
      committed.completeExceptionally(aborted(e));
    } finally {
      lock.readLock().unlock();
    }
    return committed;
  }

  private void submit(Unit unit) {
    lock.readLock().lock();
    try {
      if (unit.item.claim().now() == Lease.Standing.LOST) {
        unit.fail(OutputsFencedException.lost(unit.item.source()));
        return;
      }
      ensureOpen();
      unit.records.forEach(staged -> hand(staged.record(), staged.committed()));
      offsets.complete(unit.item.partition(), unit.item.offset());
    } catch (RuntimeException e) {
      doom(e);
      unit.fail(aborted(e));
    } finally {
      lock.readLock().unlock();
    }
  }

  private void hand(ProducerRecord<String, byte[]> record, CompletableFuture<Void> committed) {
    pending.add(committed);
    producer.send(
        record,
        (metadata, error) -> {
          if (error != null) {
            doom(error);
          }
        });
  }

  private void ensureOpen() {
    if (open) {
      return;
    }
    synchronized (opening) {
      if (open) {
        return;
      }
      ensureProducer();
      producer.beginTransaction();
      open = true;
    }
  }

  /**
   * Makes and initialises a producer if there is none: its {@code initTransactions} also settles a
   * transaction its predecessor (same {@code transactional.id}) left open or committing — rolled
   * forward if its commit had begun, aborted otherwise.
   */
  private void ensureProducer() {
    synchronized (opening) {
      if (producer != null) {
        return;
      }
      Producer<String, byte[]> fresh = producers.get();
      try {
        fresh.initTransactions();
      } catch (RuntimeException e) {
        closeQuietly(fresh); // the next transaction starts from a new one
        throw e;
      }
      producer = fresh;
    }
  }

  private void doom(Throwable error) {
    if (doomed == null) {
      doomed = error;
    }
  }

  /**
   * Commits the open transaction with the positions of {@code consumer}'s partitions in {@code
   * offsets} (poll thread), when {@code force}d or when one is open and the interval has passed;
   * aborts it when the commit fails, then runs {@code rewind} before any other output joins a
   * transaction (under the same hold of the write lock: an attempt handed over in between, its
   * claim still held, would go into the next transaction although its record is read again).
   *
   * @return what it did; {@link Commit#ABORTED}: {@code rewind} ran
   */
  public Commit commit(Consumer<?, ?> consumer, boolean force, Runnable rewind) {
    long now = System.nanoTime();
    if (!force && (!open() || now - lastCommit < intervalNanos)) {
      return Commit.IDLE;
    }
    lastCommit = now;
    lock.writeLock().lock();
    try {
      Commit done = commitNow(consumer);
      if (done == Commit.ABORTED) {
        rewind.run();
      }
      return done;
    } finally {
      lock.writeLock().unlock();
    }
  }

  private Commit commitNow(Consumer<?, ?> consumer) {
    Map<TopicPartition, OffsetAndMetadata> positions = held(consumer.assignment());
    if (!open() && positions.isEmpty()) {
      return Commit.IDLE;
    }
    if (positions.isEmpty()) {
      // every output belongs to a record of a partition held here; with none held (a zombie that
      // rejoined with nothing, a rewind not yet read again) they are stale, and a transaction
      // without offsets would commit unfenced
      abortNow(new KafkaException("outputs of records no longer held here"));
      return Commit.ABORTED;
    }
    try {
      ensureOpen();
      if (doomed != null) {
        throw new KafkaException("an output was not sent", doomed);
      }
      ConsumerGroupMetadata member = member(consumer);
      retryingTimeouts(
          "adding the offsets to the transaction",
          () -> producer.sendOffsetsToTransaction(positions, member));
      retryingTimeouts("transaction commit", () -> producer.commitTransaction());
    } catch (KafkaException | IllegalStateException e) {
      abortNow(e);
      return Commit.ABORTED;
    }
    open = false;
    positions.forEach((partition, at) -> committed.merge(partition, at.offset(), Math::max));
    completePending(null);
    return Commit.CONFIRMED;
  }

  /**
   * Runs {@code step} (adding the offsets to the open transaction, or committing it), calling it
   * again when it times out (a coordinator's broker down or moving), up to {@link #COMMIT_TRIES}
   * times. A timed-out commit may still take effect: aborting it instead and replacing the producer
   * let the new producer's initialisation roll it forward while the worker read its records again
   * and ran them a second time (10 duplicate finals in a chaos run's coordinator kill); Kafka's
   * producer resumes the same commit when called again. Aborting after offsets that timed out
   * stalled the poll thread a second {@code max.block.ms} (the abort waits for the same
   * coordinator: 30 s without output on a worker's partitions in three of a full chaos run's five
   * coordinator kills) and ran every attempt of the transaction again; sending the same positions
   * twice commits the same offsets.
   */
  private static void retryingTimeouts(String step, Runnable call) {
    for (int tries = 1; ; tries++) {
      try {
        call.run();
        return;
      } catch (TimeoutException e) {
        if (tries == COMMIT_TRIES) {
          throw e;
        }
        LOG.warn("{} timed out ({}); calling it again", step, e.toString());
      }
    }
  }

  /**
   * The consumer's group metadata, refused when it has no generation: its heartbeat thread found
   * the member gone (a zombie waking, a poll too late) and reset it. The coordinator checks a
   * transactional offset commit's generation only when it has one — one with none (generation -1,
   * no member id, as older clients sent) is accepted even while other members hold the group — so
   * committing then would make a zombie's outputs visible.
   */
  private static ConsumerGroupMetadata member(Consumer<?, ?> consumer) {
    ConsumerGroupMetadata member = consumer.groupMetadata();
    if (member.generationId() < 0 || member.memberId().isEmpty()) {
      throw new CommitFailedException(
          "this member has no group generation (left or removed from group "
              + member.groupId()
              + "): its partitions are lost");
    }
    return member;
  }

  /**
   * The furthest position of {@code partition} this committer's transactions committed, or -1 (poll
   * thread). A rewind never goes back past it: the group coordinator may answer an offset fetch
   * before it has applied a transaction whose commit already succeeded (its markers are written
   * after), and committing that older offset again would make the records in between run again
   * later.
   */
  public long committedPosition(TopicPartition partition) {
    return committed.getOrDefault(partition, -1L);
  }

  /** Positions to commit: the tracker's, for the partitions still assigned. */
  private Map<TopicPartition, OffsetAndMetadata> held(Set<TopicPartition> assigned) {
    Map<TopicPartition, OffsetAndMetadata> positions = offsets.takePositions();
    positions.keySet().retainAll(assigned);
    return positions;
  }

  /**
   * Aborts the open transaction (poll thread; e.g. its partitions were lost): its outputs are
   * dropped. The caller rewinds its partitions.
   */
  public void abort(String why) {
    lock.writeLock().lock();
    try {
      if (open()) {
        abortNow(new KafkaException(why));
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Runs {@code action} holding the write lock: no output joins a transaction meanwhile. */
  public void exclusively(Runnable action) {
    lock.writeLock().lock();
    try {
      action.run();
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void abortNow(Throwable cause) {
    aborts++;
    LOG.warn(
        "transaction aborted, its outputs dropped and their records read again: {}",
        cause.toString());
    open = false;
    doomed = null;
    Producer<String, byte[]> current = producer;
    if (current != null) {
      try {
        current.abortTransaction();
      } catch (KafkaException | IllegalStateException e) {
        // fenced, timed out committing, or in a fatal state: whether the transaction committed is
        // unknown until a new producer with the same transactional.id settles it, which is done
        // now, before the caller reads the committed offsets to rewind to
        LOG.warn("producer cannot abort ({}); replacing it", e.toString());
        closeQuietly(current);
        producer = null;
        try {
          ensureProducer();
        } catch (RuntimeException again) {
          LOG.warn("no new producer yet ({}); the next transaction tries again", again.toString());
        }
      }
    }
    completePending(aborted(cause));
  }

  private void completePending(Throwable error) {
    for (CompletableFuture<Void> f = pending.poll(); f != null; f = pending.poll()) {
      if (error == null) {
        f.complete(null);
      } else {
        f.completeExceptionally(error);
      }
    }
  }

  /** Aborts what is open and closes the producer (the worker stops). */
  public void close() {
    abort("the worker stops");
    Producer<String, byte[]> current = producer;
    if (current != null) {
      closeQuietly(current);
    }
  }

  private static void closeQuietly(Producer<String, byte[]> producer) {
    try {
      producer.close(Duration.ZERO);
    } catch (RuntimeException e) {
      LOG.debug("closing a producer failed", e);
    }
  }

  private static OutputsFencedException aborted(Throwable cause) {
    return OutputsFencedException.lost("a record of an aborted transaction (" + cause + ")");
  }

  /** Fails {@code committed} when {@code record} cannot fit a request; true when it did. */
  private boolean refuseTooLarge(
      ProducerRecord<String, byte[]> record, CompletableFuture<Void> committed) {
    int size = RECORD_FRAMING_BYTES;
    size += record.key() == null ? 0 : record.key().getBytes(StandardCharsets.UTF_8).length;
    size += record.value() == null ? 0 : record.value().length;
    for (Header header : record.headers()) {
      size += header.key().length() + (header.value() == null ? 0 : header.value().length);
    }
    if (size <= maxRecordBytes) {
      return false;
    }
    committed.completeExceptionally(
        new RecordTooLargeException(
            "a record of about " + size + " bytes exceeds max.request.size " + maxRecordBytes));
    return true;
  }

  private record Staged(ProducerRecord<String, byte[]> record, CompletableFuture<Void> committed) {}

  /** One attempt's outputs, staged on its thread. */
  private final class Unit {
    private final TaskItem item;
    private final List<Staged> records = new ArrayList<>();

    private Unit(TaskItem item) {
      this.item = item;
    }

    private CompletableFuture<Void> add(ProducerRecord<String, byte[]> record) {
      CompletableFuture<Void> committed = new CompletableFuture<>();
      if (!refuseTooLarge(record, committed)) {
        records.add(new Staged(record, committed));
      }
      return committed;
    }

    private void fail(Throwable error) {
      records.forEach(staged -> staged.committed().completeExceptionally(error));
    }
  }
}
