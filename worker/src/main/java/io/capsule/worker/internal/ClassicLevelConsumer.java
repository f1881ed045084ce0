// Over 400 lines: one poll thread's confined state (pause, hold, commit, rebalance) kept together.
package io.capsule.worker.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one level's topic in a classic consumer group. Its poll thread never runs a task: it
 * fetches, hands tasks to the shared pool while {@link Admission} has room, pauses every assigned
 * partition while it has records it cannot start yet (so polling, and with it group membership,
 * goes on however long tasks run), and commits per partition only up to the highest contiguous
 * record whose outputs the broker acknowledged. Records due later ({@code not_before}) wait on a
 * timer without holding up their partition. A task that runs past {@link Admission#LONG_TASK} gives
 * back its slot, so the records behind it (of its partition or any other) start meanwhile; its
 * offset is committed once it and everything before it are done.
 *
 * <p>In transactional output mode ({@link TransactionalOutputs}) nothing is committed outside a
 * transaction: the transaction committed every few milliseconds carries the offsets (and confirms
 * the lease); a failed one is aborted and the partitions are rewound to their committed offsets
 * ({@link #rewind}), so that every attempt whose outputs were dropped runs again.
 *
 * <p>Poll-thread state is confined to that thread; pool and timer threads talk to it through two
 * queues.
 */
public final class ClassicLevelConsumer extends PollingConsumer
    implements ConsumerRebalanceListener {
  private static final Logger LOG = LoggerFactory.getLogger(ClassicLevelConsumer.class);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final Duration PAUSED_POLL = Duration.ofMillis(20);
  private static final long COMMIT_INTERVAL_MS = 200;
  private static final long LAG_INTERVAL_MS = 1_000;
  private static final int MAX_WAITING = 10_000;
  private static final Duration LEDGER_CATCH_UP = Duration.ofSeconds(10);
  private static final Duration REWIND_RETRY = Duration.ofSeconds(1);

  private final Consumer<String, byte[]> consumer;
  private final String topic;
  private final LevelContext context;
  private final OffsetTracker offsets;
  private final TransactionalOutputs transactions; // null: idempotent outputs
  private final Function<Collection<TopicPartition>, Map<TopicPartition, Long>> writtenEnds;
  private final ArrayDeque<TaskItem> pending = new ArrayDeque<>();
  private final Map<TopicPartition, Set<TaskItem>> started = new HashMap<>();
  private final Queue<TaskItem> due = new ConcurrentLinkedQueue<>();
  // Outputs acknowledged (or records settled): handled at the poll thread's next step, without
  // waking it (their offsets wait for the next commit anyway; a wake-up per task cost a context
  // switch of the poll thread per task).
  private final Queue<Done> done = new ConcurrentLinkedQueue<>();
  // A permit per slot given back: what a poll thread with records it cannot start waits for.
  private final Semaphore slotsFreed = new Semaphore(0);
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicInteger assignments = new AtomicInteger();
  private final Set<TaskItem> held = new HashSet<>();
  // per assigned partition, its end offset when it was assigned (poll thread only)
  private final Map<TopicPartition, Long> assignedEnds = new HashMap<>();
  // per partition rewound after an aborted transaction, its position then: records below it were
  // read before in this tenure (poll thread only)
  private final Map<TopicPartition, Long> rereadBelow = new HashMap<>();

  /**
   * Per partition, the records past its committed position that the transaction committing it
   * listed as done (transactional outputs write the list): read again after a rewind or by a new
   * owner, they are not run again.
   */
  private final Map<TopicPartition, DoneOffsets> doneBeyond = new HashMap<>();

  /**
   * Partitions whose rewind could not read the committed offsets yet: kept paused (their records
   * past the rewind point must not run before the records the abort dropped) until a later step
   * reads them, or until they are revoked or lost.
   */
  private final Set<TopicPartition> unrewound = new HashSet<>();

  // task ids the cancel watch reported, applied on the poll thread
  private final Queue<String> cancelsToApply = new ConcurrentLinkedQueue<>();
  private final ArrayDeque<Admission.Slot> holding = new ArrayDeque<>();
  private final Lease lease;
  private long pollStartedAt;
  private long lastConfirmation;
  private long lastCommit;
  private long lastLag;
  private long nextKafkaPoll;

  private record Done(TopicPartition partition, long offset, TaskItem item) {}

  /**
   * A consumer of {@code topic} for {@code level}; call {@link #start()}. Tell it of cancels
   * through {@link #cancelWaiting}. Its records' outputs are fenced by {@code lease}: this consumer
   * renews and revokes its partitions' tenures there, and confirms them by its commits.
   */
  public ClassicLevelConsumer(
      Consumer<String, byte[]> consumer,
      String topic,
      String level,
      LevelContext context,
      Lease lease) {
    this(consumer, topic, level, context, lease, new OffsetTracker(), null, consumer::endOffsets);
  }

  /**
   * A consumer whose records' outputs, and offsets, are committed in the transactions of {@code
   * transactions} (which marks offsets done in {@code offsets}); {@code null} for idempotent
   * outputs and commits of its own. {@code writtenEnds} reads partitions' high watermarks: with
   * {@code read_committed}, the consumer's own end offsets are the last stable offsets, which stop
   * at the first open transaction (a frozen worker's retry request), and a record past it that a
   * previous owner (or this worker, before a revocation) did handle would be taken for a first
   * delivery and run again without a ledger check.
   */
  public ClassicLevelConsumer(
      Consumer<String, byte[]> consumer,
      String topic,
      String level,
      LevelContext context,
      Lease lease,
      OffsetTracker offsets,
      TransactionalOutputs transactions,
      Function<Collection<TopicPartition>, Map<TopicPartition, Long>> writtenEnds) {
    super(level, "capsule-poll-" + level);
    this.consumer = consumer;
    this.topic = topic;
    this.context = context;
    this.lease = lease;
    this.offsets = offsets;
    this.transactions = transactions;
    this.writtenEnds = writtenEnds;
    this.lastConfirmation = lease.now() - TimeUnit.SECONDS.toNanos(1);
  }

  /** A task was cancelled: if it waits here, it leaves its queue (applied on the poll thread). */
  public void cancelWaiting(String taskId) {
    cancelsToApply.add(taskId);
  }

  /** Tasks started (or waiting on a timer) and not yet acknowledged. */
  @Override
  public int active() {
    return active.get();
  }

  /** How many times partitions were assigned (1 after the first join; more means rebalances). */
  @Override
  public int assignments() {
    return assignments.get();
  }

  @Override
  void consume() {
    consumer.subscribe(List.of(topic), this);
    while (!stopping()) {
      step();
    }
  }

  @Override
  void wakeup() {
    consumer.wakeup();
  }

  private void step() {
    drainDone();
    applyCancels();
    freeLongSlots();
    if (draining()) {
      dropNotStarted();
    } else {
      moveDue();
      dispatch();
    }
    boolean full = !pending.isEmpty();
    if (full && System.nanoTime() < nextKafkaPoll) {
      // Room comes only from completions: start the next task at once, and leave the paused
      // consumer (membership, commits) to a poll every PAUSED_POLL rather than one per task.
      awaitCompletion();
      return;
    }
    retryRewinds();
    adjustPause();
    commit(false);
    confirmTenure();
    reportLag();
    pollStartedAt = lease.now();
    for (ConsumerRecord<String, byte[]> record : consumer.poll(full ? Duration.ZERO : pollWait())) {
      intake(record);
    }
    nextKafkaPoll = System.nanoTime() + PAUSED_POLL.toNanos();
    if (full) {
      awaitCompletion();
    }
  }

  /**
   * While every partition is paused for want of room, sleeps until a task gives back its slot (at
   * most {@link #pollWait()}).
   */
  private void awaitCompletion() {
    try {
      slotsFreed.tryAcquire(pollWait().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopFromPollThread();
    }
  }

  /**
   * How long to wait for records or completions: with transactional outputs, no longer than the
   * transaction interval while a transaction is open or tasks run (their outputs are committed by
   * this thread).
   */
  private Duration pollWait() {
    return transactions != null && (transactions.open() || active.get() > 0)
        ? transactions.interval()
        : POLL;
  }

  private void intake(ConsumerRecord<String, byte[]> record) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    offsets.track(partition, record.offset());
    if (committedDone(partition, record.offset())) {
      offsets.complete(partition, record.offset());
      return;
    }
    if (draining()) {
      return;
    }
    TaskItem.Delivery delivery = delivery(partition, record.offset());
    RecordIntake.Taken taken = context.intake().take(record, level(), delivery);
    if (taken.item() != null) {
      taken.item().fencedBy(lease.claim(partition));
    }
    if (taken.runnable()) {
      pending.add(taken.item());
    } else if (taken.item() != null) {
      track(taken.item());
      whenDone(taken.item(), taken.settled());
    } else {
      whenSettled(partition, record.offset(), taken.settled());
    }
  }

  /**
   * Whether the record at {@code offset} is one a committed transaction listed as done past its
   * partition's committed position (its outputs are already visible); forgets the list once read
   * past its end.
   */
  private boolean committedDone(TopicPartition partition, long offset) {
    DoneOffsets done = doneBeyond.get(partition);
    if (done == null) {
      return false;
    }
    if (offset >= done.last()) {
      doneBeyond.remove(partition);
    }
    if (!done.contains(offset)) {
      return false;
    }
    LOG.debug("{}: record {}/{} was done in a committed transaction", level(), partition, offset);
    return true;
  }

  /** Keeps what each committed offset's metadata lists as done past it ({@link DoneOffsets}). */
  private void rememberDone(Map<TopicPartition, OffsetAndMetadata> committed) {
    committed.forEach(
        (partition, at) -> {
          DoneOffsets done =
              at == null ? DoneOffsets.none() : DoneOffsets.parse(at.offset(), at.metadata());
          if (done.isEmpty()) {
            doneBeyond.remove(partition);
          } else {
            doneBeyond.put(partition, done);
          }
        });
  }

  private TaskItem.Delivery delivery(TopicPartition partition, long offset) {
    if (offset < rereadBelow.getOrDefault(partition, -1L)) {
      return TaskItem.Delivery.REREAD;
    }
    return offset < assignedEnds.getOrDefault(partition, Long.MAX_VALUE)
        ? TaskItem.Delivery.REASSIGNED
        : TaskItem.Delivery.FIRST;
  }

  /** A record that needed no task: its offset is done once what it needed was acknowledged. */
  private void whenSettled(TopicPartition partition, long offset, CompletableFuture<Void> settled) {
    settled.whenComplete(
        (ok, error) -> {
          if (error == null) {
            done.add(new Done(partition, offset, null));
          } else {
            LOG.error("record {}/{} not settled; it will be read again", partition, offset, error);
          }
        });
  }

  /** Cancelled tasks that still wait here leave their queue (their offsets count as done). */
  private void applyCancels() {
    for (String taskId = cancelsToApply.poll(); taskId != null; taskId = cancelsToApply.poll()) {
      List<Collection<TaskItem>> queues = List.of(pending, held);
      for (Collection<TaskItem> waiting : queues) {
        for (var it = waiting.iterator(); it.hasNext(); ) {
          TaskItem item = it.next();
          if (item.request().id().equals(taskId)) {
            it.remove();
            item.cancel();
            if (waiting == held) {
              untrack(item);
            }
            LOG.info("task {} cancelled while waiting", taskId);
            done.add(new Done(item.partition(), item.offset(), null));
          }
        }
      }
    }
  }

  private void dispatch() {
    long now = System.currentTimeMillis();
    while (!pending.isEmpty()) {
      TaskItem item = pending.peek();
      if (item.request().notBefore() > now && held.size() < MAX_WAITING) {
        pending.poll();
        hold(item, item.request().notBefore() - now);
      } else if (item.request().notBefore() <= now) {
        Admission.Slot slot = context.admission().tryTake(item.ram());
        if (slot == null) {
          return;
        }
        pending.poll();
        submit(item, slot);
      } else {
        return;
      }
    }
  }

  private void hold(TaskItem item, long delayMs) {
    held.add(item);
    track(item);
    context.timer().schedule(() -> due.add(item), delayMs, TimeUnit.MILLISECONDS);
  }

  private void moveDue() {
    for (TaskItem item = due.poll(); item != null; item = due.poll()) {
      if (held.remove(item)) {
        untrack(item);
        pending.addFirst(item);
      }
    }
  }

  private void submit(TaskItem item, Admission.Slot slot) {
    item.holds(slot);
    track(item);
    holding.add(slot);
    whenDone(item, context.intake().start(item, () -> releaseSlot(slot)));
  }

  /**
   * Gives back a task's slot once its attempt is over, before its outputs are acknowledged, and
   * wakes the poll thread so that the next task starts at once instead of a broker round trip
   * later.
   */
  private void releaseSlot(Admission.Slot slot) {
    slot.release();
    slotsFreed.release();
  }

  /**
   * Lets tasks that have run for {@link Admission#LONG_TASK} give back their slots, so that the
   * records behind them start instead of waiting for a long task to end (head-of-line blocking).
   * Only while records wait: otherwise a long task keeps its slot and the cores are not shared by
   * more tasks than needed. {@code holding} is in start order, so only its head can be due.
   */
  private void freeLongSlots() {
    long now = System.nanoTime();
    for (Admission.Slot head = holding.peek(); head != null; head = holding.peek()) {
      if (head.released()) {
        holding.poll();
      } else if (head.isLongAt(now) && !pending.isEmpty()) {
        holding.poll();
        head.turnLong();
      } else {
        return;
      }
    }
  }

  private void track(TaskItem item) {
    active.incrementAndGet();
    started.computeIfAbsent(item.partition(), p -> new HashSet<>()).add(item);
  }

  private void untrack(TaskItem item) {
    Set<TaskItem> items = started.get(item.partition());
    if (items != null && items.remove(item)) {
      active.decrementAndGet();
    }
  }

  private void whenDone(TaskItem item, CompletableFuture<Void> finished) {
    finished.whenComplete(
        (ok, error) -> {
          if (error != null && OutputsFencedException.isLost(error)) {
            LOG.info("task {} fenced: its record is no longer held here", item.request().id());
          } else if (error != null && !item.abandoned()) {
            LOG.error(
                "task {} outputs not published; it will run again", item.request().id(), error);
          }
          done.add(new Done(item.partition(), error == null ? item.offset() : -1, item));
        });
  }

  private void drainDone() {
    slotsFreed.drainPermits(); // this step sees every slot freed so far
    for (Done d = done.poll(); d != null; d = done.poll()) {
      handle(d);
    }
  }

  private void handle(Done d) {
    if (d.item() != null) {
      untrack(d.item());
    }
    if (d.offset() >= 0 && (d.item() == null || !d.item().abandoned())) {
      offsets.complete(d.partition(), d.offset());
    }
  }

  private void dropNotStarted() {
    pending.clear();
    due.clear();
    held.forEach(this::untrack);
    held.clear();
  }

  private void adjustPause() {
    Set<TopicPartition> assigned = consumer.assignment();
    if (draining() || !pending.isEmpty() || held.size() >= MAX_WAITING) {
      consumer.pause(assigned);
    } else if (!consumer.paused().isEmpty()) {
      Set<TopicPartition> resumable = new HashSet<>(consumer.paused());
      resumable.removeAll(unrewound);
      consumer.resume(resumable);
    }
  }

  private void commit(boolean sync) {
    if (transactions != null) {
      commitTransaction(sync);
      return;
    }
    long now = System.currentTimeMillis();
    if (!sync && now - lastCommit < COMMIT_INTERVAL_MS) {
      return;
    }
    lastCommit = now;
    Map<TopicPartition, OffsetAndMetadata> commits = offsets.takeCommits();
    if (commits.isEmpty()) {
      return;
    }
    long sentAt = lease.now();
    if (sync) {
      consumer.commitSync(commits);
      lease.confirmed(sentAt);
    } else {
      consumer.commitAsync(
          commits,
          (c, error) -> {
            if (error == null) {
              lease.confirmed(sentAt);
            } else {
              LOG.warn("commit of {} failed, will retry: {}", commits, error.toString());
              // The KIP-848 consumer (group.protocol=consumer) passes null offsets on failure.
              offsets.commitFailed(commits);
            }
          });
    }
  }

  /**
   * Commits the open transaction with the offsets it advances, when due or {@code now}; when that
   * fails, the transaction was aborted and the partitions are rewound.
   */
  private void commitTransaction(boolean now) {
    long sentAt = lease.now();
    TransactionalOutputs.Commit done =
        transactions.commit(consumer, now, () -> rewind(consumer.assignment()));
    if (done == TransactionalOutputs.Commit.CONFIRMED) {
      lease.confirmed(sentAt);
    }
  }

  /**
   * After an aborted transaction: abandons everything in flight (their claims are lost, so none of
   * their outputs joins a later transaction) and seeks every assigned partition back to its
   * committed offset, so the records whose outputs were dropped are read and run again. If the
   * committed offsets cannot be read, the partitions stay paused until a later step reads them
   * ({@link #retryRewinds}) or they are revoked or lost.
   */
  private void rewind(Set<TopicPartition> partitions) {
    transactions.exclusively(
        () -> {
          Set<TopicPartition> assigned = new HashSet<>(partitions);
          Map<TopicPartition, Long> ends = new HashMap<>(assignedEnds);
          Map<TopicPartition, Long> read = positions(assigned);
          abandonAll(assigned);
          // still this worker's tenure: the records read again are not counted as deliveries to a
          // worker that died (the ledger's latest event of such a task may be its running event,
          // committed on its own), and those never read yet keep their standing
          ends.keySet().retainAll(assigned);
          assignedEnds.putAll(ends);
          rereadBelow.putAll(read);
          if (!seekToCommitted(assigned, LEDGER_CATCH_UP)) {
            consumer.pause(assigned);
            unrewound.addAll(assigned);
          }
        });
  }

  /**
   * Seeks {@code partitions} to their committed offsets (never back past what this worker's own
   * transactions committed).
   *
   * @return false when the committed offsets could not be read (a member the coordinator fenced:
   *     its next poll rejoins, and the partitions are then lost; a coordinator away)
   */
  private boolean seekToCommitted(Set<TopicPartition> partitions, Duration timeout) {
    try {
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(partitions, timeout);
      rememberDone(committed);
      for (TopicPartition partition : partitions) {
        OffsetAndMetadata at = committed.get(partition);
        long ours = transactions.committedPosition(partition);
        if (at == null && ours < 0) {
          consumer.seekToBeginning(List.of(partition));
        } else {
          consumer.seek(partition, Math.max(at == null ? -1 : at.offset(), ours));
        }
      }
      LOG.info("{}: rewound {} to their committed offsets", level(), partitions);
      return true;
    } catch (WakeupException | InterruptException e) {
      throw e;
    } catch (KafkaException e) {
      // Leaving and rejoining the group here (as before) left the KIP-848 consumer unsubscribed:
      // its next poll threw and the level stopped consuming. Paused, the partitions wait instead.
      LOG.warn(
          "{}: committed offsets of {} unreadable ({}); paused until they are read",
          level(),
          partitions,
          e.toString());
      return false;
    }
  }

  /** Tries again to rewind the partitions whose committed offsets could not be read. */
  private void retryRewinds() {
    unrewound.retainAll(consumer.assignment());
    if (unrewound.isEmpty()) {
      return;
    }
    Set<TopicPartition> waiting = new HashSet<>(unrewound);
    transactions.exclusively(
        () -> {
          if (seekToCommitted(waiting, REWIND_RETRY)) {
            unrewound.removeAll(waiting);
          }
        });
  }

  private Map<TopicPartition, Long> positions(Set<TopicPartition> partitions) {
    Map<TopicPartition, Long> read = new HashMap<>();
    for (TopicPartition partition : partitions) {
      try {
        read.put(partition, consumer.position(partition, Duration.ZERO));
      } catch (KafkaException e) {
        // no position yet: nothing was read
      }
    }
    return read;
  }

  /**
   * Gets the broker to confirm this member's tenure when a publisher waits for it, or before the
   * last confirmation grows stale while records are in flight: a synchronous commit of what is
   * already committable (the offset of each partition's first record in flight) succeeds only if
   * the coordinator still knows this member in the current generation. A failed one means the group
   * moved on: the next poll rejoins and revokes or loses the partitions, which fences their
   * records' outputs.
   */
  private void confirmTenure() {
    long now = lease.now();
    if (now - lastConfirmation < TimeUnit.MILLISECONDS.toNanos(COMMIT_INTERVAL_MS)
        || !lease.confirmationDue(active.get() > 0)) {
      return;
    }
    lastConfirmation = now;
    if (transactions != null) {
      // a transaction's offsets are checked against the group generation: it confirms as well
      commitTransaction(true);
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> holding = offsets.firstInFlight();
    holding.keySet().retainAll(consumer.assignment());
    if (holding.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(holding, lease.term());
      lease.confirmed(now);
    } catch (WakeupException | InterruptException e) {
      throw e;
    } catch (KafkaException e) {
      LOG.info("{}: tenure not confirmed ({}); rejoining on the next poll", level(), e.toString());
    }
  }

  private void reportLag() {
    long now = System.currentTimeMillis();
    if (now - lastLag < LAG_INTERVAL_MS) {
      return;
    }
    lastLag = now;
    long lag = 0;
    for (TopicPartition partition : consumer.assignment()) {
      lag += consumer.currentLag(partition).orElse(0) + offsets.inFlight(partition);
    }
    context.metrics().lag(level(), lag);
  }

  /** Commits what is complete, abandons what still runs, leaves the group. */
  @Override
  void finish() {
    try {
      if (transactions != null) {
        transactions.exclusively(this::finishCommitted);
      } else {
        finishCommitted();
      }
    } catch (RuntimeException e) {
      LOG.warn("final commit of {} failed", level(), e);
    } finally {
      if (transactions != null) {
        transactions.close();
      }
      consumer.close();
    }
  }

  private void finishCommitted() {
    lease.revokeAll();
    drainDone();
    commit(true);
    abandonAll(new ArrayList<>(started.keySet()));
  }

  /** Commits what is complete on revoked partitions, then gives back what still runs there. */
  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return;
    }
    if (transactions != null) {
      // no attempt of these partitions joins a transaction between this commit and their loss
      transactions.exclusively(() -> commitAndAbandon(partitions));
    } else {
      commitAndAbandon(partitions);
    }
  }

  private void commitAndAbandon(Collection<TopicPartition> partitions) {
    drainDone();
    try {
      commit(true);
    } catch (RuntimeException e) {
      LOG.warn("commit on revocation failed", e);
    }
    abandonAll(partitions);
  }

  /** Gives back what runs on lost partitions; nothing can be committed for them. */
  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    if (transactions == null) {
      abandonAll(partitions);
      return;
    }
    // the open transaction may hold their outputs: it can no longer commit them
    // the partitions kept (if any) had outputs in it too: rewound before any other output can join
    // a transaction
    transactions.exclusively(
        () -> {
          transactions.abort("partitions lost: " + partitions);
          abandonAll(partitions);
          Set<TopicPartition> kept = new HashSet<>(consumer.assignment());
          kept.removeAll(partitions);
          if (!kept.isEmpty()) {
            rewind(kept);
          }
        });
  }

  /** Counts the assignment and lets the ledger catch up before the partitions' records run. */
  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    assignments.incrementAndGet();
    // the assignment came in a group generation the coordinator just confirmed
    lease.renew(partitions);
    lease.confirmed(pollStartedAt);
    if (partitions.isEmpty()) {
      return;
    }
    LOG.info("{} assigned {}", level(), partitions);
    try {
      // records below these ends may have been handled by a previous owner: they are checked
      // against the ledger, which reads what that owner published first; later records cannot
      // have been (the previous owner's revocation ended before this assignment)
      assignedEnds.putAll(writtenEnds.apply(partitions));
    } catch (RuntimeException e) {
      LOG.warn("could not read the assigned partitions' ends; checking every record", e);
      partitions.forEach(p -> assignedEnds.put(p, Long.MAX_VALUE));
    }
    readDone(partitions);
    if (!context.ledger().catchUp(LEDGER_CATCH_UP)) {
      LOG.warn("events not read to the end within {}; duplicates may run", LEDGER_CATCH_UP);
    }
  }

  /**
   * Reads what the committed offsets of newly assigned partitions list as done past them (the
   * previous owner's last transaction), so that those records are not run again here.
   */
  private void readDone(Collection<TopicPartition> partitions) {
    try {
      rememberDone(consumer.committed(new HashSet<>(partitions), LEDGER_CATCH_UP));
    } catch (WakeupException | InterruptException e) {
      throw e;
    } catch (KafkaException e) {
      LOG.warn(
          "{}: committed offsets unreadable ({}); the ledger alone recognises records done",
          level(),
          e.toString());
    }
  }

  private void abandonAll(Collection<TopicPartition> partitions) {
    lease.revoke(partitions);
    Set<TopicPartition> gone = new HashSet<>(partitions);
    pending.removeIf(item -> gone.contains(item.partition()));
    held.removeIf(item -> gone.contains(item.partition()));
    for (TopicPartition partition : gone) {
      Set<TaskItem> items = started.remove(partition);
      if (items != null) {
        items.forEach(TaskItem::abandon);
        active.addAndGet(-items.size());
      }
      offsets.forget(partition);
      assignedEnds.remove(partition);
      rereadBelow.remove(partition);
      doneBeyond.remove(partition);
      unrewound.remove(partition);
    }
  }
}
