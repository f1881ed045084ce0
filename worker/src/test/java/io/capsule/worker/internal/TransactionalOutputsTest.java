package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.RetryBackoff;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The transactional committer over Kafka's transactional {@link MockProducer}, with the real {@link
 * OutcomePublisher}, {@link OutputPublisher} and {@link EventRecorder}: an attempt's outputs and
 * its offset's advance commit together or not at all; a refused commit or a fenced producer drops
 * them (and a fenced producer is replaced); an attempt still staging never has part of its outputs
 * in a transaction; a transaction holding only a running event still carries the group's offsets,
 * so it is fenced too.
 */
class TransactionalOutputsTest {
  private static final TopicPartition LOW0 = new TopicPartition(MockOutputs.LOW, 0);

  private final List<MockProducer<String, byte[]>> producers = new ArrayList<>();
  private final OffsetTracker offsets = new OffsetTracker();
  private final TransactionalOutputs tx =
      new TransactionalOutputs(this::newProducer, offsets, Duration.ofMillis(5), 64 * 1024);
  private final OutputPublisher publisher = OutputPublisher.transactional(MockOutputs.TOPICS);
  private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
  private final Lease lease = new Lease(Duration.ofSeconds(3));
  private final TaskLedger ledger =
      new TaskLedger(new MockConsumer<>("earliest"), MockOutputs.TOPICS.events());
  private final WorkerMetrics metrics = new WorkerMetrics(() -> 0);
  private final EventRecorder events = new EventRecorder(publisher, ledger);
  private final OutcomePublisher outcomes =
      new OutcomePublisher(
          publisher,
          events,
          new RetryingPublisher(metrics),
          OutcomePolicy.forRecordsOf(OperatorCeiling.NONE, 64 * 1024),
          new RetryBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5)),
          metrics,
          "w-1");

  @BeforeEach
  void assign() {
    publisher.transactionsOf("low", MockOutputs.LOW, tx);
    consumer.assign(List.of(LOW0));
    lease.confirmed(lease.now());
  }

  private int commitTimeouts; // the next commits that time out, as with a coordinator away
  private int sendOffsetsTimeouts; // the same for adding the offsets to the transaction

  private MockProducer<String, byte[]> newProducer() {
    MockProducer<String, byte[]> producer =
        new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer()) {
          @Override
          public void sendOffsetsToTransaction(
              Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
            if (sendOffsetsTimeouts > 0) {
              sendOffsetsTimeouts--;
              throw new TimeoutException("the coordinator did not answer");
            }
            super.sendOffsetsToTransaction(offsets, group);
          }

          @Override
          public void commitTransaction() {
            if (commitTimeouts > 0) {
              commitTimeouts--;
              throw new TimeoutException("the coordinator did not answer");
            }
            super.commitTransaction();
          }
        };
    producers.add(producer);
    return producer;
  }

  private MockProducer<String, byte[]> producer() {
    return producers.get(producers.size() - 1);
  }

  private TaskItem fetched(long offset) {
    return fetched(offset, Tasks.request());
  }

  private TaskItem fetched(long offset, TaskRequest request) {
    TaskItem item =
        new TaskItem(
            LOW0,
            offset,
            System.currentTimeMillis(),
            "low",
            request,
            64 * Tasks.MIB,
            null,
            TaskItem.Delivery.FIRST);
    offsets.track(LOW0, offset);
    item.fencedBy(lease.claim(LOW0));
    return item;
  }

  private CompletableFuture<Void> succeed(TaskItem item) {
    AttemptResult success =
        new AttemptResult(
            ResultEnvelope.success(IntNode.valueOf(5), Execution.none("main").withRetries(0, 3)),
            null);
    return outcomes.publish(item, success, CompletableFuture.completedFuture(null));
  }

  private List<String> committedTopics() {
    return producers.stream()
        .flatMap(p -> p.history().stream())
        .map(ProducerRecord::topic)
        .toList();
  }

  private OffsetAndMetadata lastCommittedOffset() {
    List<Map<String, Map<TopicPartition, OffsetAndMetadata>>> history =
        producer().consumerGroupOffsetsHistory();
    assertThat(history).as("offsets committed in a transaction").isNotEmpty();
    return history.get(history.size() - 1).values().iterator().next().get(LOW0);
  }

  private static boolean lost(CompletableFuture<Void> done) {
    assertThat(done).isCompletedExceptionally();
    return OutputsFencedException.isLost(done.handle((ok, e) -> e).join());
  }

  @Test
  void anAttemptsOutputsAndItsOffsetAreCommittedTogether() {
    TaskItem item = fetched(7);

    CompletableFuture<Void> done = succeed(item);

    assertThat(committedTopics()).as("nothing visible before the commit").isEmpty();
    assertThat(done).isNotDone();
    assertThat(tx.commit(consumer, true, () -> {})).isIn(TransactionalOutputs.Commit.CONFIRMED);
    assertThat(committedTopics())
        .containsExactlyInAnyOrder(MockOutputs.TOPICS.results(), MockOutputs.TOPICS.events());
    assertThat(lastCommittedOffset().offset()).as("the offset after the attempt's").isEqualTo(8);
    assertThat(done).isCompleted();
    assertThat(tx.committedPosition(LOW0)).as("a rewind goes back no further").isEqualTo(8);
  }

  /**
   * A failed attempt's retrying event and its next attempt's request commit in one transaction with
   * its record's offset: a request sent after that commit, in a transaction of its own, was lost
   * when that one aborted.
   */
  @Test
  void anAttemptDonePastOneStillRunningIsListedInTheCommittedOffsetsMetadata() {
    TaskItem running = fetched(0);
    TaskItem done = fetched(1);
    assertThat(running.offset()).isZero();

    CompletableFuture<Void> committed = succeed(done);
    assertThat(tx.commit(consumer, true, () -> {}))
        .isEqualTo(TransactionalOutputs.Commit.CONFIRMED);

    assertThat(committed).isCompleted();
    // the position stays on the record still running; 1's outputs are visible, and so is that
    assertThat(lastCommittedOffset()).isEqualTo(new OffsetAndMetadata(0, "capsule-done-v1:1"));
  }

  @Test
  void aRetryRequestCommitsWithItsRetryingEventAndOffset() {
    TaskItem item = fetched(7, Tasks.withRetries(2));
    AttemptResult failed =
        new AttemptResult(
            ResultEnvelope.failure(ErrorType.TASK_ERROR, "boom", Execution.none("main")), null);
    CompletableFuture<Void> done =
        outcomes.publish(item, failed, CompletableFuture.completedFuture(null));

    assertThat(tx.commit(consumer, true, () -> {}))
        .isEqualTo(TransactionalOutputs.Commit.CONFIRMED);

    assertThat(committedTopics())
        .as("the retrying event and the next attempt's request, in the offset's transaction")
        .containsExactlyInAnyOrder(MockOutputs.TOPICS.events(), MockOutputs.LOW);
    assertThat(lastCommittedOffset().offset()).isEqualTo(8);
    assertThat(done).isCompleted();
  }

  /**
   * A commit that timed out may still take effect (a replacing producer rolls it forward), so it is
   * called again, not aborted: aborting ran its attempts a second time.
   */
  @Test
  void aCommitThatTimesOutIsCalledAgainNotAborted() {
    TaskItem item = fetched(7);
    CompletableFuture<Void> done = succeed(item);
    commitTimeouts = TransactionalOutputs.COMMIT_TRIES - 1;

    assertThat(tx.commit(consumer, true, () -> {}))
        .isEqualTo(TransactionalOutputs.Commit.CONFIRMED);

    assertThat(producers).as("the same producer, not replaced").hasSize(1);
    assertThat(tx.aborts()).isZero();
    assertThat(committedTopics())
        .containsExactlyInAnyOrder(MockOutputs.TOPICS.results(), MockOutputs.TOPICS.events());
    assertThat(done).isCompleted();
  }

  @Test
  void offsetsWhoseAddingTimesOutAreSentAgainNotAborted() {
    TaskItem item = fetched(7);
    CompletableFuture<Void> done = succeed(item);
    sendOffsetsTimeouts = TransactionalOutputs.COMMIT_TRIES - 1;

    assertThat(tx.commit(consumer, true, () -> {}))
        .isEqualTo(TransactionalOutputs.Commit.CONFIRMED);

    assertThat(producers).as("the same producer, not replaced").hasSize(1);
    assertThat(tx.aborts()).isZero();
    assertThat(lastCommittedOffset().offset()).isEqualTo(8);
    assertThat(done).isCompleted();
  }

  @Test
  void offsetsWhoseAddingKeepsTimingOutAbortTheTransaction() {
    CompletableFuture<Void> done = succeed(fetched(7));
    sendOffsetsTimeouts = TransactionalOutputs.COMMIT_TRIES;

    assertThat(tx.commit(consumer, true, () -> {})).isEqualTo(TransactionalOutputs.Commit.ABORTED);

    assertThat(lost(done)).isTrue();
    assertThat(tx.aborts()).isEqualTo(1);
  }

  @Test
  void aCommitThatKeepsTimingOutIsAborted() {
    CompletableFuture<Void> done = succeed(fetched(7));
    commitTimeouts = TransactionalOutputs.COMMIT_TRIES;

    assertThat(tx.commit(consumer, true, () -> {})).isEqualTo(TransactionalOutputs.Commit.ABORTED);

    assertThat(lost(done)).isTrue();
    assertThat(tx.aborts()).isEqualTo(1);
  }

  @Test
  void aCommitTheCoordinatorRefusesDropsTheAttemptsOutputs() {
    TaskItem item = fetched(7);
    CompletableFuture<Void> done = succeed(item);
    // a zombie: its generation is stale, so the coordinator refuses the transaction's offsets
    producer().sendOffsetsToTransactionException = new CommitFailedException();

    assertThat(tx.commit(consumer, true, () -> {})).isEqualTo(TransactionalOutputs.Commit.ABORTED);

    assertThat(producer().transactionAborted()).isTrue();
    assertThat(committedTopics()).isEmpty();
    assertThat(lost(done)).as("dropped for good, not sent again").isTrue();
    assertThat(tx.aborts()).isEqualTo(1);
  }

  @Test
  void aFencedProducerIsReplacedAndTheAttemptsRunAgainCommitOnce() {
    CompletableFuture<Void> first = succeed(fetched(7));
    producer().fenceProducer();

    assertThat(tx.commit(consumer, true, () -> {})).isEqualTo(TransactionalOutputs.Commit.ABORTED);
    assertThat(lost(first)).isTrue();
    assertThat(producers.get(0).closed()).as("a fenced producer cannot abort: closed").isTrue();
    assertThat(producers).as("replaced at once, settling what it left").hasSize(2);
    assertThat(producer().transactionInitialized()).isTrue();

    offsets.forget(LOW0); // the consumer rewinds and reads the record again
    CompletableFuture<Void> again = succeed(fetched(7));
    assertThat(tx.commit(consumer, true, () -> {}))
        .isEqualTo(TransactionalOutputs.Commit.CONFIRMED);

    assertThat(producers).hasSize(2);
    assertThat(again).isCompleted();
    assertThat(committedTopics())
        .as("one envelope, from the run that committed")
        .containsExactlyInAnyOrder(MockOutputs.TOPICS.results(), MockOutputs.TOPICS.events());
    assertThat(lastCommittedOffset().offset()).isEqualTo(8);
  }

  @Test
  void noOutputOfAnAttemptStillStagingIsCommittedNorItsOffset() throws Exception {
    TaskItem item = fetched(7);
    CountDownLatch staged = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<CompletableFuture<Void>> done = new AtomicReference<>();
    Thread task =
        new Thread(
            () ->
                done.set(
                    publisher.atomically(
                        item,
                        () -> {
                          CompletableFuture<Void> envelope =
                              publisher.envelope(item.request(), bytes("{}"), null);
                          staged.countDown();
                          awaitQuietly(release);
                          return CompletableFuture.allOf(
                              envelope,
                              events.record(
                                  LifecycleEvent.of(
                                      item.request().id(), TaskState.SUCCEEDED, "low", 1, "w-1"),
                                  null));
                        })));
    task.start();
    assertThat(staged.await(10, TimeUnit.SECONDS)).isTrue();
    // a running event of another attempt opens a transaction meanwhile; it commits alone
    events.recordRunning(LifecycleEvent.of("other", TaskState.RUNNING, "low", 1, "w-1"), null, 1);

    assertThat(tx.commit(consumer, true, () -> {}))
        .isEqualTo(TransactionalOutputs.Commit.CONFIRMED);
    assertThat(committedTopics()).containsExactly(MockOutputs.TOPICS.events());
    assertThat(lastCommittedOffset().offset()).as("the attempt's record not done").isEqualTo(7);

    release.countDown();
    task.join(10_000);
    assertThat(tx.commit(consumer, true, () -> {}))
        .isEqualTo(TransactionalOutputs.Commit.CONFIRMED);
    assertThat(committedTopics()).hasSize(3);
    assertThat(lastCommittedOffset().offset()).isEqualTo(8);
    assertThat(done.get()).isCompleted();
  }

  @Test
  void anAttemptHandedOverWhileTheAbortedTransactionsRecordsAreRewoundJoinsNoTransaction()
      throws Exception {
    CompletableFuture<Void> first = succeed(fetched(7));
    TaskItem second = fetched(8);
    producer().sendOffsetsToTransactionException = new CommitFailedException();
    AtomicReference<CompletableFuture<Void>> late = new AtomicReference<>();
    Thread task = new Thread(() -> late.set(succeed(second)));

    TransactionalOutputs.Commit done =
        tx.commit(
            consumer,
            true,
            () -> {
              // the rewind: the second attempt ends meanwhile; it must wait for the rewind
              task.start();
              org.awaitility.Awaitility.await()
                  .atMost(Duration.ofSeconds(10))
                  .until(() -> task.getState() == Thread.State.WAITING);
              lease.revoke(List.of(LOW0));
              offsets.forget(LOW0);
            });
    task.join(10_000);
    producer().sendOffsetsToTransactionException = null;
    tx.commit(consumer, true, () -> {});

    assertThat(done).isEqualTo(TransactionalOutputs.Commit.ABORTED);
    assertThat(lost(first)).isTrue();
    assertThat(lost(late.get())).as("its record is read again: its outputs are dropped").isTrue();
    assertThat(committedTopics()).isEmpty();
  }

  @Test
  void aTransactionHoldingOnlyARunningEventIsFencedByTheGroupGeneration() {
    TaskItem item = fetched(7);
    events.recordRunning(
        LifecycleEvent.of(item.request().id(), TaskState.RUNNING, "low", 1, "w-1"), null, 1);
    producer().sendOffsetsToTransactionException = new CommitFailedException();

    assertThat(tx.commit(consumer, true, () -> {})).isEqualTo(TransactionalOutputs.Commit.ABORTED);

    assertThat(committedTopics()).as("a zombie's running event is never visible").isEmpty();
  }

  @Test
  void outputsOfNoPartitionHeldHereAreNeverCommittedUnfenced() {
    // a zombie that rejoined with no partition: its late running event would commit with no offsets
    MockConsumer<String, byte[]> rejoinedEmpty = new MockConsumer<>("earliest");
    TaskItem item = fetched(7);
    events.recordRunning(
        LifecycleEvent.of(item.request().id(), TaskState.RUNNING, "low", 1, "w-1"), null, 1);

    assertThat(tx.commit(rejoinedEmpty, true, () -> {}))
        .isEqualTo(TransactionalOutputs.Commit.ABORTED);

    assertThat(committedTopics()).isEmpty();
  }

  @Test
  void aMemberWhoseGenerationWasResetNeverCommits() {
    // what a zombie's consumer reports once its heartbeat thread found it gone from the group
    MockConsumer<String, byte[]> reset =
        new MockConsumer<>("earliest") {
          @Override
          @SuppressWarnings("removal") // the only way to make one with no generation
          public synchronized ConsumerGroupMetadata groupMetadata() {
            return new ConsumerGroupMetadata("g", -1, "", Optional.empty());
          }
        };
    reset.assign(List.of(LOW0));
    CompletableFuture<Void> done = succeed(fetched(7));

    assertThat(tx.commit(reset, true, () -> {})).isEqualTo(TransactionalOutputs.Commit.ABORTED);

    assertThat(committedTopics()).isEmpty();
    assertThat(lost(done)).isTrue();
  }

  @Test
  void anAttemptWhoseRecordWasRevokedJoinsNoTransaction() {
    TaskItem item = fetched(7);
    lease.revoke(List.of(LOW0));

    CompletableFuture<Void> done = succeed(item);

    assertThat(lost(done)).isTrue();
    assertThat(tx.open()).as("no transaction was opened for it").isFalse();
    assertThat(offsets.takePositions().get(LOW0).offset()).as("its record not done").isEqualTo(7);
  }

  @Test
  void aRecordTooLargeFailsAloneWithoutAbortingTheTransaction() {
    CompletableFuture<Void> done = succeed(fetched(7));
    CompletableFuture<Void> huge = publisher.envelope(Tasks.request(), new byte[128 * 1024], null);

    assertThat(huge).isCompletedExceptionally();
    assertThat(huge.handle((ok, e) -> RetryingPublisher.cause(e)).join())
        .isInstanceOf(RecordTooLargeException.class);
    assertThat(tx.commit(consumer, true, () -> {}))
        .isEqualTo(TransactionalOutputs.Commit.CONFIRMED);
    assertThat(done).isCompleted();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
