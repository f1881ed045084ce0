package io.capsule.worker.internal;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gate every output of a record passes (its running event, outcome, retry request, dead letter,
 * cancelled event): sent only while the record's {@link Lease.Claim} is held. A lost claim drops
 * the outputs for good (the record's new owner runs the task) and counts them in {@code
 * capsule_outputs_fenced_total}; an unconfirmed one fails the round with {@link
 * OutputsFencedException#unconfirmed}, which the {@link RetryingPublisher} tries again.
 *
 * <p>The check must be the last step before a record is appended to the producer: a {@code send}
 * that first waits for its topic's metadata (the producer's first record to that topic) hands over,
 * after a freeze during that wait, a record the lease no longer covers, which then reaches the
 * broker after the record's new owner published its outcome. {@link #knowTopics} fetches the output
 * topics' metadata before the first record is checked.
 */
public final class OutputFence {
  private static final Logger LOG = LoggerFactory.getLogger(OutputFence.class);

  private final WorkerMetrics metrics;

  /** A fence counting what it drops in {@code metrics}. */
  public OutputFence(WorkerMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * Runs {@code sends} if the item's claim is held, waiting (bounded by the lease's term) for its
   * holder to confirm it when the last confirmation is stale.
   *
   * @return the sends' future; failed with an {@link OutputsFencedException} when not sent
   */
  public CompletableFuture<Void> send(
      TaskItem item, String what, Supplier<CompletableFuture<Void>> sends) {
    return gate(item, what, item.claim().await(), sends);
  }

  /**
   * {@link #send}, waiting up to {@code terms} of the lease's terms for a confirmation: for an
   * output a running task waits on (a sub-task's request), which should fail only once this worker
   * knows it lost the record, not at the first term its group coordinator is away.
   */
  public CompletableFuture<Void> send(
      TaskItem item, String what, int terms, Supplier<CompletableFuture<Void>> sends) {
    Lease.Claim claim = item.claim();
    return gate(item, what, claim.await(claim.term().multipliedBy(terms)), sends);
  }

  private CompletableFuture<Void> gate(
      TaskItem item,
      String what,
      Lease.Standing standing,
      Supplier<CompletableFuture<Void>> sends) {
    return switch (standing) {
      case HELD -> sends.get();
      case UNCONFIRMED ->
          CompletableFuture.failedFuture(OutputsFencedException.unconfirmed(item.source()));
      case LOST -> CompletableFuture.failedFuture(lost(item, what));
    };
  }

  /**
   * Whether the item's claim is held, waiting (bounded by the lease's term) for a confirmation when
   * the last one is stale; a lost claim is counted.
   */
  public boolean held(TaskItem item, String what) {
    Lease.Standing standing = item.claim().await();
    if (standing == Lease.Standing.LOST) {
      lost(item, what);
    }
    return standing == Lease.Standing.HELD;
  }

  /**
   * Whether an output that is not worth waiting for (a running event on a timer) may be sent now; a
   * lost claim is counted.
   */
  public boolean heldNow(TaskItem item, String what) {
    Lease.Standing standing = item.claim().now();
    if (standing == Lease.Standing.LOST) {
      lost(item, what);
    }
    return standing == Lease.Standing.HELD;
  }

  /**
   * Waits (up to the producer's {@code max.block.ms}) until {@code producer} knows the partitions
   * of each topic, so that its sends append at once instead of waiting for metadata after their
   * fence check. A topic that cannot be described is left to the first send (logged).
   */
  public static void knowTopics(Producer<?, ?> producer, Collection<String> topics) {
    for (String topic : topics) {
      try {
        producer.partitionsFor(topic);
      } catch (KafkaException e) {
        LOG.warn("no metadata for output topic {} yet: {}", topic, e.toString());
      }
    }
  }

  private OutputsFencedException lost(TaskItem item, String what) {
    LOG.info(
        "task {}: {} not published: this worker no longer holds {} (its new owner runs it)",
        item.request().id(),
        what,
        item.source());
    metrics.outputsFenced(item.level());
    return OutputsFencedException.lost(item.source());
  }
}
