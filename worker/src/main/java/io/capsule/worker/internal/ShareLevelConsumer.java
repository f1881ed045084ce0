package io.capsule.worker.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One slot of a level in share mode: a share-group consumer that acquires one record at a time,
 * runs it on the shared pool, RENEWs the record's acquisition lock while the task runs, and ACCEPTs
 * it once its outputs are acknowledged (RELEASE if they could not be published, so another worker
 * runs it). A worker runs {@code concurrency} slots per share-mode level.
 */
public final class ShareLevelConsumer extends PollingConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(ShareLevelConsumer.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final long DEFAULT_LOCK_MS = 30_000;

  private final ShareConsumer<String, byte[]> consumer;
  private final String topic;
  private final LevelContext context;
  private final AtomicInteger active = new AtomicInteger();
  private ConsumerRecord<String, byte[]> current;
  private Lease lease = new Lease(Duration.ofMillis(DEFAULT_LOCK_MS / 2));
  private long pollStartedAt;
  private long lockConfirmedAt;

  /** A slot consuming {@code topic}; call {@link #start()}. */
  public ShareLevelConsumer(
      ShareConsumer<String, byte[]> consumer,
      String topic,
      String level,
      LevelContext context,
      int slot) {
    super(level, "capsule-share-" + level + "-" + slot);
    this.consumer = consumer;
    this.topic = topic;
    this.context = context;
  }

  /** 1 while a task runs, else 0. */
  @Override
  public int active() {
    return active.get();
  }

  @Override
  void consume() {
    consumer.subscribe(List.of(topic));
    while (!stopping() && !draining()) {
      pollStartedAt = System.nanoTime();
      for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
        handle(record);
      }
    }
  }

  @Override
  void wakeup() {
    consumer.wakeup();
  }

  /** Closes the consumer: a record still acquired goes back to the group. */
  @Override
  void finish() {
    consumer.close(Duration.ofSeconds(5));
  }

  private void handle(ConsumerRecord<String, byte[]> record) {
    active.set(1);
    current = record;
    // the record's lock was taken during the poll: trusted for half the lock's duration from its
    // start, then only while RENEWs keep coming back
    lease = new Lease(Duration.ofMillis(Math.max(1, lockMs() / 2)));
    lease.confirmed(pollStartedAt);
    lockConfirmedAt = pollStartedAt;
    try {
      AcknowledgeType outcome = process(record);
      consumer.acknowledge(current, outcome);
      consumer.commitSync();
    } catch (IllegalStateException e) {
      LOG.warn("could not acknowledge {}; its lock will lapse and the ledger skips it", key(), e);
    } finally {
      lease.revokeAll();
      active.set(0);
    }
  }

  private String key() {
    return current.topic() + "/" + current.partition() + "/" + current.offset();
  }

  private AcknowledgeType process(ConsumerRecord<String, byte[]> record) {
    TaskItem.Delivery delivery =
        record.deliveryCount().map(n -> n <= 1).orElse(false)
            ? TaskItem.Delivery.FIRST
            : TaskItem.Delivery.REDELIVERED;
    RecordIntake.Taken taken = context.intake().take(record, level(), delivery);
    if (!taken.runnable()) {
      return await(record, taken.settled());
    }
    TaskItem item = taken.item();
    item.fencedBy(lease.claim(key()));
    if (!waitUntil(record, item.request().notBefore()) || !admit(record, item.ram())) {
      return AcknowledgeType.RELEASE;
    }
    CompletableFuture<Void> finished =
        context.intake().start(item, () -> context.admission().release(item.ram()));
    AcknowledgeType outcome = await(record, finished);
    if (outcome == AcknowledgeType.RELEASE) {
      item.abandon();
    }
    return outcome;
  }

  /** Waits for {@code work}, renewing the record's lock; ACCEPT when done, RELEASE otherwise. */
  private AcknowledgeType await(ConsumerRecord<String, byte[]> record, CompletableFuture<?> work) {
    long renewEvery = renewInterval();
    while (!stopping()) {
      try {
        work.get(renewEvery, TimeUnit.MILLISECONDS);
        return AcknowledgeType.ACCEPT;
      } catch (TimeoutException e) {
        renew(record);
      } catch (ExecutionException e) {
        if (OutputsFencedException.isLost(e.getCause())) {
          LOG.info("outputs of {} fenced: its lock had lapsed", record.key());
        } else {
          LOG.error("outputs of {} not published; releasing it", record.key(), e.getCause());
        }
        return AcknowledgeType.RELEASE;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return AcknowledgeType.RELEASE;
      }
    }
    return AcknowledgeType.RELEASE;
  }

  private boolean waitUntil(ConsumerRecord<String, byte[]> record, long notBefore) {
    long renewEvery = renewInterval();
    while (!stopping() && System.currentTimeMillis() < notBefore) {
      sleep(Math.min(renewEvery, notBefore - System.currentTimeMillis()));
      if (System.currentTimeMillis() < notBefore) {
        renew(record);
      }
    }
    return !stopping();
  }

  private boolean admit(ConsumerRecord<String, byte[]> record, long ram) {
    long lastRenew = System.currentTimeMillis();
    while (!stopping() && !context.admission().tryAcquire(ram)) {
      sleep(20);
      if (System.currentTimeMillis() - lastRenew > renewInterval()) {
        renew(record);
        lastRenew = System.currentTimeMillis();
      }
    }
    return !stopping();
  }

  /**
   * Extends the record's acquisition lock: RENEW, then poll until the consumer hands the record
   * back (it stays acquired by this consumer; only a record of the latest poll can be acknowledged,
   * so the returned instance is the one acknowledged later). Polling here also keeps the consumer
   * within {@code max.poll.interval.ms}.
   */
  private void renew(ConsumerRecord<String, byte[]> record) {
    long sentAt = System.nanoTime();
    consumer.acknowledge(current, AcknowledgeType.RENEW);
    long deadline = System.currentTimeMillis() + renewInterval();
    while (!stopping() && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<String, byte[]> again : consumer.poll(Duration.ofMillis(100))) {
        if (again.partition() == current.partition() && again.offset() == current.offset()) {
          current = again;
          lease.confirmed(sentAt);
          lockConfirmedAt = sentAt;
          context.metrics().lockRenewal(level(), true);
          return;
        }
        consumer.acknowledge(again, AcknowledgeType.RELEASE);
      }
    }
    if (!stopping()) {
      context.metrics().lockRenewal(level(), false);
    }
    // not handed back: once a whole lock duration has passed since the broker last confirmed the
    // lock, it has lapsed and the record may be another consumer's: its outputs are fenced
    if (System.nanoTime() - lockConfirmedAt > TimeUnit.MILLISECONDS.toNanos(lockMs())) {
      lease.revokeAll();
    }
    LOG.warn("{} was not handed back after RENEW", key());
  }

  private long renewInterval() {
    return lockMs() / 3;
  }

  private long lockMs() {
    return consumer.acquisitionLockTimeoutMs().map(Integer::longValue).orElse(DEFAULT_LOCK_MS);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(Math.max(1, ms));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
