package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.protocol.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Running events from one queue swept on the timer: an attempt that outlives the delay gets its
 * event, one that finishes sooner gets none, and attempts started at any time — while a sweep is
 * scheduled, or after the queue ran empty — are all seen.
 */
class RunningEventsTest {
  private static final Duration AFTER = Duration.ofMillis(50);

  private final MockOutputs outputs = new MockOutputs();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final Lease lease = new Lease(Duration.ofSeconds(30), System::nanoTime);
  private final RunningEvents running =
      new RunningEvents(
          new EventRecorder(outputs.publisher, outputs.ledger),
          timer,
          AFTER,
          new OutputFence(outputs.metrics));

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  private RunningEvents.Notice start() {
    TaskItem item = Tasks.item(Tasks.withRetries(0));
    item.fencedBy(lease.claim(item.partition()));
    lease.confirmed(lease.now());
    return running.start(item, outputs.outcomes.event(item, TaskState.RUNNING), 1);
  }

  @Test
  void onlyTheAttemptsThatOutliveTheDelayGetARunningEvent() throws Exception {
    List<RunningEvents.Notice> outliving = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      RunningEvents.Notice quick = start();
      outliving.add(start());
      quick.finish();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> outputs.sent().size() == 20);
    timer.schedule(() -> null, 3 * AFTER.toMillis(), TimeUnit.MILLISECONDS).get();
    assertThat(outputs.sent()).as("none for the attempts that finished in time").hasSize(20);
    outliving.forEach(RunningEvents.Notice::finish);
  }

  @Test
  void attemptsStartedAfterTheQueueRanEmptyAreStillSwept() throws Exception {
    start();
    await().atMost(Duration.ofSeconds(10)).until(() -> outputs.sent().size() == 1);
    timer.schedule(() -> null, 2 * AFTER.toMillis(), TimeUnit.MILLISECONDS).get(); // idle sweep
    start();
    start();
    await().atMost(Duration.ofSeconds(10)).until(() -> outputs.sent().size() == 3);
  }

  @Test
  void anAttemptFinishedBeforeItsDueTimeNeverGetsOneLater() throws Exception {
    RunningEvents.Notice notice = start();
    assertThat(notice.finish()).isCompleted();
    timer.schedule(() -> null, 3 * AFTER.toMillis(), TimeUnit.MILLISECONDS).get();
    assertThat(outputs.sent()).isEmpty();
  }
}
