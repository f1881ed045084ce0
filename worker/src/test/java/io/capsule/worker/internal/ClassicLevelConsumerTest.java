package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskLimits;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The classic consumer's flow control over Kafka's {@link MockConsumer}: tasks run through a fake
 * {@link TaskRunner} whose outputs the test acknowledges, records that cannot run go through the
 * real intake and outcome publishing over a {@link org.apache.kafka.clients.producer.MockProducer}.
 */
class ClassicLevelConsumerTest {
  private static final TopicPartition P0 = new TopicPartition(MockOutputs.LOW, 0);
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** One task handed to the runner: its admission and its outputs, under the test's control. */
  private record Started(TaskItem item, Runnable release, CompletableFuture<Void> outputs) {}

  private final AtomicInteger unreadableCommits = new AtomicInteger(); // next committed() that fail
  private final MockConsumer<String, byte[]> kafka =
      new MockConsumer<>("earliest") {
        @Override
        public synchronized Map<TopicPartition, OffsetAndMetadata> committed(
            Set<TopicPartition> partitions, Duration timeout) {
          if (unreadableCommits.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new UnknownMemberIdException("the coordinator is not aware of this member");
          }
          return super.committed(partitions, timeout);
        }
      };
  private final MockOutputs outputs = new MockOutputs();
  private final BlockingQueue<Started> started = new LinkedBlockingQueue<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final CancelWatch cancels =
      new CancelWatch(new MockConsumer<>("earliest"), MockOutputs.TOPICS.cancels());
  // one task's 64 MiB at a time: room comes only when a task gives back its ram
  private final Admission admission = new Admission(4, 64 * Tasks.MIB);
  private final Lease lease = new Lease(Duration.ofSeconds(3));
  private ClassicLevelConsumer consumer;

  private final TaskRunner runner =
      (item, release) -> {
        CompletableFuture<Void> done = new CompletableFuture<>();
        started.add(new Started(item, release, done));
        return done;
      };

  @AfterEach
  void stop() throws InterruptedException {
    if (consumer != null) {
      consumer.stop();
      assertThat(consumer.join(WAIT)).isTrue();
    }
    timer.shutdownNow();
  }

  private void start(List<ConsumerRecord<String, byte[]>> records) {
    start(records, Map.of());
  }

  /**
   * A transactional consumer's commits go through {@code tx}, marking offsets in {@code offsets}.
   */
  private OffsetTracker offsets;

  private TransactionalOutputs tx;

  /** Starts with {@code committed} as the group's committed offsets when P0 is assigned. */
  private void start(
      List<ConsumerRecord<String, byte[]>> records,
      Map<TopicPartition, OffsetAndMetadata> committed) {
    RecordIntake intake =
        new RecordIntake(
            runner,
            outputs.outcomes,
            cancels,
            admission,
            Runnable::run,
            new RecordIntake.Ram(64 * Tasks.MIB, Tasks.MIB * 1024));
    LevelContext context =
        new LevelContext(intake, admission, timer, within -> true, outputs.metrics);
    consumer =
        tx == null
            ? new ClassicLevelConsumer(kafka, MockOutputs.LOW, "low", context, lease)
            : new ClassicLevelConsumer(
                kafka, MockOutputs.LOW, "low", context, lease, offsets, tx, kafka::endOffsets);
    cancels.onCancel(consumer::cancelWaiting);
    kafka.updateBeginningOffsets(Map.of(P0, 0L));
    kafka.updateEndOffsets(Map.of(P0, 0L)); // every record is a first delivery
    kafka.schedulePollTask(
        () -> {
          kafka.commitSync(committed); // after subscribing, which forgets what was committed
          kafka.rebalance(List.of(P0));
          records.forEach(kafka::addRecord);
        });
    consumer.start();
  }

  private Long committed() {
    OffsetAndMetadata committed = kafka.committed(Set.of(P0)).get(P0);
    return committed == null ? null : committed.offset();
  }

  private Started next() throws InterruptedException {
    return Tasks.nextStarted(started);
  }

  @Test
  void aRecordsClaimIsConfirmedWhileItsPartitionIsHeldAndLostOnceItIsRevoked()
      throws InterruptedException {
    start(List.of(Tasks.record(0, 0, Tasks.request())));
    Started one = next();
    assertThat(one.item().claim()).isNotSameAs(Lease.UNFENCED);
    await().atMost(WAIT).until(() -> one.item().claim().now() == Lease.Standing.HELD);

    kafka.schedulePollTask(() -> kafka.rebalance(List.of()));

    await().atMost(WAIT).until(() -> one.item().claim().now() == Lease.Standing.LOST);
  }

  @Test
  void pausesWhileARecordWaitsForRoomAndResumesOnceItStarts() throws InterruptedException {
    TaskRequest first = Tasks.request();
    TaskRequest second = Tasks.request();
    start(List.of(Tasks.record(0, 0, first), Tasks.record(0, 1, second)));

    Started one = next();
    assertThat(one.item().request().id()).isEqualTo(first.id());
    await().atMost(WAIT).until(() -> kafka.paused().contains(P0));
    assertThat(started).isEmpty();

    one.release().run();
    Started two = next();
    assertThat(two.item().request().id()).isEqualTo(second.id());
    await().atMost(WAIT).until(() -> kafka.paused().isEmpty());
  }

  @Test
  void commitsAnOffsetOnlyOnceItAndEveryRecordBeforeItHaveTheirOutputsAcknowledged()
      throws InterruptedException {
    start(List.of(Tasks.record(0, 0, Tasks.request()), Tasks.record(0, 1, Tasks.request())));
    Started one = next();
    one.release().run();
    Started two = next();
    two.release().run();

    two.outputs().complete(null); // the later record is done, the earlier is not
    await()
        .during(Duration.ofMillis(600)) // three commit intervals
        .atMost(WAIT)
        .until(() -> committed() == null);

    one.outputs().complete(null);
    await().atMost(WAIT).until(() -> Long.valueOf(2).equals(committed()));
  }

  @Test
  void recordsTheCommittedOffsetListsAsDoneAreNotRunAgain() throws InterruptedException {
    TaskRequest first = Tasks.request();
    TaskRequest fourth = Tasks.request();
    start(
        List.of(
            Tasks.record(0, 0, first),
            Tasks.record(0, 1, Tasks.request()),
            Tasks.record(0, 2, Tasks.request()),
            Tasks.record(0, 3, fourth)),
        // a previous owner's transaction committed 1 and 2's outputs while 0 still ran
        Map.of(P0, new OffsetAndMetadata(0, "capsule-done-v1:1-2")));

    Started one = next();
    assertThat(one.item().request().id()).isEqualTo(first.id());
    one.release().run();
    Started two = next();
    assertThat(two.item().request().id()).isEqualTo(fourth.id());
    two.release().run();
    one.outputs().complete(null);
    two.outputs().complete(null);

    await().atMost(WAIT).until(() -> Long.valueOf(4).equals(committed()));
    assertThat(started).isEmpty();
  }

  /**
   * After an aborted transaction, a partition whose committed offsets cannot be read (a member the
   * coordinator fenced, asking with a stale epoch) stays paused, then is rewound once they can be:
   * the dropped attempt runs again and the poll thread carries on. Leaving and rejoining the group
   * there instead left Kafka's KIP-848 consumer unsubscribed in a chaos run: its next poll threw
   * and the level stopped consuming.
   */
  @Test
  void aRewindWhoseCommittedOffsetsAreUnreadableWaitsPausedAndRunsTheRecordAgain()
      throws InterruptedException {
    AtomicInteger refusals = new AtomicInteger(1);
    offsets = new OffsetTracker();
    tx =
        new TransactionalOutputs(
            () ->
                new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer()) {
                  @Override
                  public void sendOffsetsToTransaction(
                      Map<TopicPartition, OffsetAndMetadata> positions,
                      ConsumerGroupMetadata group) {
                    if (refusals.getAndDecrement() > 0) {
                      throw new CommitFailedException("the group moved on");
                    }
                    super.sendOffsetsToTransaction(positions, group);
                  }
                },
            offsets,
            Duration.ofMillis(5),
            64 * 1024);
    TaskRequest request = Tasks.request();
    start(List.of(Tasks.record(0, 0, request)));
    Started first = next();
    unreadableCommits.set(3);

    tx.send(new ProducerRecord<>(MockOutputs.TOPICS.events(), "x", new byte[0])); // opens one

    // the rewind tries again while paused, and seeks back once the offsets can be read (4th try)
    await().atMost(WAIT).until(() -> unreadableCommits.get() == 0);
    await().atMost(WAIT).until(() -> kafka.paused().isEmpty());
    first.release().run(); // the abandoned attempt ends, giving back its room
    kafka.addRecord(Tasks.record(0, 0, request)); // still in the log (MockConsumer forgets it)
    Started again = next();
    assertThat(again.item().request().id()).isEqualTo(request.id());
    assertThat(first.item().abandoned()).isTrue();
    again.release().run();
    again.outputs().complete(null);
    await().atMost(WAIT).until(() -> kafka.paused().isEmpty());
    assertThat(consumer.join(Duration.ZERO)).as("the poll thread still runs").isFalse();
  }

  @Test
  void aTaskWhoseOutputsFailedIsNeverCommitted() throws InterruptedException {
    start(List.of(Tasks.record(0, 0, Tasks.request()), Tasks.record(0, 1, Tasks.request())));
    Started one = next();
    one.release().run();
    Started two = next();

    one.outputs().completeExceptionally(new IllegalStateException("broker gone"));
    two.outputs().complete(null);

    await().during(Duration.ofMillis(600)).atMost(WAIT).until(() -> committed() == null);
  }

  @Test
  void anUnreadableRecordIsDeadLetteredAndCommittedOnceTheDeadLetterIsAcknowledged() {
    start(List.of(Tasks.record(0, 0, "k", "{not json")));

    await().atMost(WAIT).until(() -> outputs.sent().size() == 1);
    DeadLetter letter = outputs.first(MockOutputs.TOPICS.deadLetters(), DeadLetter.class);
    assertThat(letter.reason()).isEqualTo(DeadLetter.UNREADABLE);
    assertThat(letter.source()).isEqualTo(MockOutputs.LOW + "/0/0");
    await().during(Duration.ofMillis(600)).atMost(WAIT).until(() -> committed() == null);

    outputs.ackAll();
    await().atMost(WAIT).until(() -> Long.valueOf(1).equals(committed()));
    assertThat(started).isEmpty();
  }

  @Test
  void aRecordWhoseRamCanNeverFitIsRefusedNamingItsCapAndCommittedAfterTheRefusal() {
    TaskRequest huge = Tasks.request(TaskOptions.builder().ram(ByteSize.parse("128MB")).build());
    assertThat(huge.limits()).extracting(TaskLimits::ram).isNotNull();
    start(List.of(Tasks.record(0, 0, huge)));

    await().atMost(WAIT).until(() -> outputs.sent().size() == 3);
    ResultEnvelope envelope = outputs.first(MockOutputs.TOPICS.results(), ResultEnvelope.class);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.INVALID_REQUEST);
    assertThat(envelope.error().message())
        .isEqualTo("ram 128MB exceeds this worker's memory budget");
    assertThat(consumer.active()).isEqualTo(1);

    outputs.ackAll();
    await().atMost(WAIT).until(() -> Long.valueOf(1).equals(committed()));
    assertThat(consumer.active()).isZero();
    assertThat(started).isEmpty();
  }

  @Test
  void aRecordCancelledBeforeItWasReadIsCommittedWithoutRunning() {
    TaskRequest cancelled = Tasks.request();
    ConsumerRecord<String, byte[]> record = Tasks.record(0, 0, cancelled);
    cancels.note(cancelled.id(), record.timestamp() + 1);

    start(List.of(record, Tasks.record(0, 1, Tasks.request())));

    await().atMost(WAIT).until(() -> started.size() == 1);
    assertThat(started.peek().item().offset()).isEqualTo(1);
    started.peek().release().run();
    started.peek().outputs().complete(null);
    await().atMost(WAIT).until(() -> Long.valueOf(2).equals(committed()));
  }

  @Test
  void aCancelDropsARecordStillWaitingForRoom() throws InterruptedException {
    TaskRequest waiting = Tasks.request();
    start(List.of(Tasks.record(0, 0, Tasks.request()), Tasks.record(0, 1, waiting)));
    Started one = next();
    await().atMost(WAIT).until(() -> kafka.paused().contains(P0));

    cancels.note(waiting.id(), System.currentTimeMillis());
    one.outputs().complete(null);
    await().atMost(WAIT).until(() -> Long.valueOf(2).equals(committed()));

    one.release().run();
    await().atMost(WAIT).until(() -> kafka.paused().isEmpty());
    assertThat(started).isEmpty();
  }
}
