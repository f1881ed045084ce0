package io.capsule.worker.internal;

import io.capsule.protocol.BoundedMap;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;
import io.capsule.protocol.WireHeader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The latest known lifecycle state of each task id, read from the compacted events topic (and from
 * this worker's own events as it sends them). It recognises redeliveries: a request record whose
 * task already reached a final state, or whose attempt was already retried, after the record was
 * written.
 *
 * <p>It reads on demand, not all the time: every worker reading every event would make each
 * worker's cost grow with the size of the fleet, for knowledge that matters only for records that
 * may have been handled before — after a rebalance ({@link #catchUp}) — and for sub-tasks a parent
 * waits for ({@link #awaitFinal}). Idle, it reads nothing. A catch-up reads up to the topic's end
 * as it was when the catch-up began; while sub-tasks are awaited it follows the topic, starting
 * from {@link #AWAIT_LOOKBACK} before the earliest wait if it had fallen further behind (such a
 * skip makes the next catch-up read from the beginning again).
 *
 * <p>Holds at most {@value #MAX_TASKS} task ids (least recently seen forgotten first).
 */
public final class TaskLedger extends TopicFollower {
  private static final Logger LOG = LoggerFactory.getLogger(TaskLedger.class);
  private static final int MAX_TASKS = 1_000_000;
  private static final Duration POLL = Duration.ofMillis(200);

  /** How late the ledger may read the events topic while following it (fetch batching). */
  public static final Duration FETCH_WAIT = Duration.ofMillis(100);

  /**
   * How far back before a sub-task's wait began a resumed ledger reads: covers the producers' clock
   * skew (the child's events carry their producer's timestamps).
   */
  static final Duration AWAIT_LOOKBACK = Duration.ofSeconds(10);

  /**
   * What is known of one task: its latest state, when it was recorded (epoch ms), and for a {@code
   * running} state the delivery of the attempt it records (0 when unknown).
   */
  record Seen(TaskState state, int attempt, long at, int delivery) {}

  /** A parent's wait for a sub-task's terminal event, and when it began (epoch ms). */
  private record Awaited(CompletableFuture<LifecycleEvent> future, long since) {}

  private final Map<String, Seen> latest = BoundedMap.leastRecentlyUsed(MAX_TASKS);
  private final Map<String, Awaited> awaited = new ConcurrentHashMap<>();
  private final Object demand = new Object();
  private final List<CompletableFuture<Void>> catchUps = new ArrayList<>(); // guarded by demand
  private final AtomicLong eventsRead = new AtomicLong();
  private final AtomicLong idleChecks = new AtomicLong();
  private final Function<Collection<TopicPartition>, Map<TopicPartition, Long>> ends;

  /** A ledger reading {@code topic} with {@code consumer} (group-less). */
  public TaskLedger(Consumer<String, byte[]> consumer, String topic) {
    this(consumer, topic, consumer::endOffsets);
  }

  /**
   * A ledger whose catch-ups read up to {@code ends} of the topic's partitions: with transactional
   * workers, their high watermarks — the {@code read_committed} consumer's own end offsets stop at
   * the first open transaction (a frozen worker's), so a catch-up would end before final events
   * committed after it, and a record whose task they end would run again.
   */
  public TaskLedger(
      Consumer<String, byte[]> consumer,
      String topic,
      Function<Collection<TopicPartition>, Map<TopicPartition, Long>> ends) {
    super(consumer, topic, "capsule-ledger");
    this.ends = ends;
  }

  /** Notes an event (this worker's own, or one read from the topic). */
  public void note(LifecycleEvent event, long at) {
    note(event, at, 0);
  }

  /** Notes an event that records the {@code delivery}-th delivery of its attempt. */
  public void note(LifecycleEvent event, long at, int delivery) {
    if (event.state().terminal() && event.envelope() != null) {
      complete(event);
    }
    note(event.taskId(), new Seen(event.state(), event.attempt(), at, delivery));
  }

  /**
   * How many deliveries of {@code attempt} of {@code taskId} started running and ended with no
   * outcome (their worker died or lost the record): the delivery recorded by the task's latest
   * event when that is the attempt's {@code running} event, written after the record at {@code
   * recordTimestamp}; else 0.
   */
  public int unfinishedDeliveries(String taskId, int attempt, long recordTimestamp) {
    Seen seen = latest.get(taskId);
    if (seen == null
        || seen.at() < recordTimestamp
        || seen.state() != TaskState.RUNNING
        || seen.attempt() != attempt) {
      return 0;
    }
    return Math.max(seen.delivery(), 1);
  }

  private void complete(LifecycleEvent terminal) {
    Awaited waiting = awaited.remove(terminal.taskId());
    if (waiting != null) {
      waiting.future().complete(terminal);
    }
  }

  private void note(String taskId, Seen seen) {
    latest.merge(taskId, seen, (old, fresh) -> fresh.at() >= old.at() ? fresh : old);
  }

  /**
   * The final envelope of {@code taskId}, from the first terminal event noted from now on (call
   * before publishing the request). The ledger follows the events topic while any wait is open.
   * Cancel the future to stop waiting.
   */
  public CompletableFuture<ResultEnvelope> awaitFinal(String taskId) {
    CompletableFuture<LifecycleEvent> terminal = awaitTerminal(taskId);
    CompletableFuture<ResultEnvelope> envelope = terminal.thenApply(LifecycleEvent::envelope);
    envelope.whenComplete((e, error) -> terminal.cancel(false));
    return envelope;
  }

  /**
   * The first terminal event (with its final envelope) of {@code taskId} noted from now on (call
   * before publishing the request). Cancel the future to stop waiting.
   */
  public CompletableFuture<LifecycleEvent> awaitTerminal(String taskId) {
    CompletableFuture<LifecycleEvent> future = new CompletableFuture<>();
    Awaited wait = new Awaited(future, System.currentTimeMillis());
    awaited.put(taskId, wait);
    future.whenComplete((event, error) -> awaited.remove(taskId, wait));
    synchronized (demand) {
      demand.notifyAll();
    }
    return future;
  }

  /**
   * Whether a request record for {@code attempt} of {@code taskId}, written at {@code
   * recordTimestamp}, was already handled: the task reached a final state, or this attempt (or a
   * later one) was already retried or started, after the record was written. A replay (a newer
   * record) is therefore never mistaken for a duplicate.
   */
  public boolean alreadyHandled(String taskId, int attempt, long recordTimestamp) {
    Seen seen = latest.get(taskId);
    if (seen == null || seen.at() < recordTimestamp) {
      return false;
    }
    return seen.state().terminal()
        || seen.attempt() > attempt
        || (seen.state() == TaskState.RETRYING && seen.attempt() >= attempt);
  }

  /**
   * Reads the events topic up to its end as it is now (or a moment later), so every event
   * acknowledged before this call is known.
   *
   * @return whether it caught up within {@code timeout}
   */
  public boolean catchUp(Duration timeout) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (demand) {
      catchUps.add(done);
      demand.notifyAll();
    }
    try {
      done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  /** Events read from the topic so far (not counting this worker's own, noted as sent). */
  public long eventsRead() {
    return eventsRead.get();
  }

  /**
   * How many times the reader found no demand and went on waiting without reading (one check per
   * {@code POLL} while idle): the sign that an idle ledger is alive and reads nothing.
   */
  long idleChecks() {
    return idleChecks.get();
  }

  @Override
  protected void follow(List<TopicPartition> partitions) {
    consumer.seekToBeginning(partitions);
    boolean following = false;
    boolean skipped = false;
    while (running()) {
      List<CompletableFuture<Void>> requests = takeCatchUps();
      if (!requests.isEmpty()) {
        if (skipped) {
          consumer.seekToBeginning(partitions);
          skipped = false;
        }
        readUpTo(ends.apply(partitions));
        requests.forEach(r -> r.complete(null));
      } else if (awaited.isEmpty()) {
        following = false;
        awaitDemand();
      } else {
        if (!following) {
          skipped |= skipToAwaited(partitions);
          following = true;
        }
        readBatch();
      }
    }
  }

  @Override
  protected void stopped() {
    takeCatchUps()
        .forEach(r -> r.completeExceptionally(new IllegalStateException("ledger stopped")));
  }

  private List<CompletableFuture<Void>> takeCatchUps() {
    synchronized (demand) {
      List<CompletableFuture<Void>> taken = new ArrayList<>(catchUps);
      catchUps.clear();
      return taken;
    }
  }

  private void awaitDemand() {
    synchronized (demand) {
      while (running() && catchUps.isEmpty() && awaited.isEmpty()) {
        idleChecks.incrementAndGet();
        try {
          demand.wait(POLL.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /**
   * Before following the topic for sub-tasks after a pause: moves past events written well before
   * the earliest wait began (they cannot be those sub-tasks'). Returns whether it skipped any.
   */
  private boolean skipToAwaited(List<TopicPartition> partitions) {
    long since =
        awaited.values().stream().mapToLong(Awaited::since).min().orElse(Long.MAX_VALUE)
            - AWAIT_LOOKBACK.toMillis();
    boolean skipped = false;
    for (var target : offsetsAt(partitions, since).entrySet()) {
      if (target.getValue() > consumer.position(target.getKey())) {
        consumer.seek(target.getKey(), target.getValue());
        skipped = true;
      }
    }
    return skipped;
  }

  private void readUpTo(Map<TopicPartition, Long> ends) {
    while (running()) {
      boolean reached =
          ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
      if (reached) {
        return;
      }
      readBatch();
    }
  }

  private void readBatch() {
    for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
      read(record);
    }
  }

  private void read(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      return;
    }
    eventsRead.incrementAndGet();
    try {
      EventStateReader.EventState event = EventStateReader.read(record.value());
      if (event != null) {
        if (event.state().terminal() && awaited.containsKey(event.taskId())) {
          // a sub-task's parent waits here: only then is the whole event (its envelope) parsed
          LifecycleEvent full =
              CapsuleJson.read(
                  new String(record.value(), StandardCharsets.UTF_8), LifecycleEvent.class);
          if (full.envelope() != null) {
            complete(full);
          }
        }
        note(
            event.taskId(),
            new Seen(event.state(), event.attempt(), record.timestamp(), delivery(record)));
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("skipping unreadable event at {}", record.offset(), e);
    }
  }

  private static int delivery(ConsumerRecord<String, byte[]> record) {
    Header header = record.headers().lastHeader(WireHeader.DELIVERY);
    if (header == null) {
      return 0;
    }
    try {
      return Integer.parseInt(new String(header.value(), StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  @Override
  protected void wakeUp() {
    synchronized (demand) {
      demand.notifyAll();
    }
  }
}
