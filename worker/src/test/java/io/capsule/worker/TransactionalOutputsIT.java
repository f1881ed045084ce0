package io.capsule.worker;

import static io.capsule.worker.TestFleet.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.sandbox.testing.Corpus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Workers with {@code --outputs transactional} on a real broker: tasks, retries and dead letters go
 * through as with idempotent outputs, each task with one final envelope; and a zombie (a worker
 * process frozen with SIGSTOP past its session while it runs a task, resumed after its successor
 * finished the task) has nothing of that task visible to a {@code read_committed} reader after the
 * successor's final event.
 */
@ExtendWith(KafkaBrokerExtension.class)
class TransactionalOutputsIT {
  private static final Duration BOUND = Duration.ofSeconds(90);
  private final WorkerJvm workers = new WorkerJvm();

  @AfterEach
  void killLeftovers() {
    workers.close();
  }

  @Test
  void tasksRetriesAndDeadLettersEachEndWithOneFinalEnvelope(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      for (int i = 0; i < 2; i++) {
        fleet.startWorker(
            c ->
                c.withLevels(Set.of(ComputeLevel.MEDIUM))
                    .withOutputs(OutputMode.TRANSACTIONAL)
                    .withRunningEventAfter(Duration.ZERO));
      }
      List<TaskRequest> ok = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        ok.add(fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE)));
      }
      TaskRequest failing =
          fleet.submit(request(Corpus.wat("exit_3"), TaskOptions.builder().maxRetries(2).build()));

      await()
          .atMost(BOUND)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> fleet.results().size() >= ok.size() + 1);
      Map<String, Long> envelopes =
          fleet.results().stream()
              .collect(Collectors.groupingBy(ResultEnvelope::taskId, Collectors.counting()));
      assertThat(envelopes).hasSize(ok.size() + 1).allSatisfy((id, n) -> assertThat(n).isOne());
      ResultEnvelope failed = WorkerIT.awaitFinal(fleet, failing.id());
      assertThat(failed.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
      assertThat(failed.attempt()).isEqualTo(3);
      await().atMost(BOUND).until(() -> WorkerIT.deadLettersOf(fleet, failing.id()).size() == 1);
      assertThat(WorkerIT.states(fleet, failing.id()))
          .containsSubsequence(
              TaskState.RUNNING,
              TaskState.RETRYING,
              TaskState.RUNNING,
              TaskState.RETRYING,
              TaskState.RUNNING,
              TaskState.DEAD_LETTERED)
          .endsWith(TaskState.DEAD_LETTERED);
      for (TaskRequest task : ok) {
        assertThat(WorkerIT.states(fleet, task.id())).endsWith(TaskState.SUCCEEDED);
      }
    }
  }

  /**
   * Rebalances while tasks flow: each member's commits fail for a moment as the group moves to a
   * new generation, and their transactions are aborted and their records read again. Every task
   * still ends once.
   */
  @Test
  void tasksFlowingThroughRebalancesEndOnceEach(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers, 4)) {
      UnaryOperator<WorkerConfig.Builder> transactional =
          c ->
              c.withLevels(Set.of(ComputeLevel.MEDIUM))
                  .withOutputs(OutputMode.TRANSACTIONAL)
                  .withRunningEventAfter(Duration.ZERO);
      fleet.startWorker(transactional);
      List<TaskRequest> tasks = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        tasks.add(fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE)));
        if (i == 20 || i == 40) {
          fleet.startWorker(transactional); // a rebalance while the first tasks run
        }
      }

      await()
          .atMost(BOUND)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> fleet.results().size() >= tasks.size());
      Map<String, Long> envelopes =
          fleet.results().stream()
              .collect(Collectors.groupingBy(ResultEnvelope::taskId, Collectors.counting()));
      assertThat(envelopes).hasSize(tasks.size()).allSatisfy((id, n) -> assertThat(n).isOne());
      for (TaskRequest task : tasks) {
        assertThat(WorkerIT.states(fleet, task.id())).endsWith(TaskState.SUCCEEDED);
      }
    }
  }

  @Test
  void aFrozenTransactionalWorkerLeavesNothingVisibleAfterItsSuccessorsFinal(
      @BootstrapServers String servers) throws Exception {
    try (TestFleet fleet = new TestFleet(servers)) {
      int port = WorkerJvm.freePort();
      Process zombie =
          workers.launch(
              fleet,
              "zombie",
              List.of("-Xmx256m"),
              List.of(
                  "--outputs",
                  "transactional",
                  "--metrics-port",
                  Integer.toString(port),
                  "--running-event-after",
                  "5s"));
      TaskRequest task = fleet.submit(request(Corpus.wat("sleep_3s"), TaskOptions.NONE));
      await()
          .atMost(BOUND)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> WorkerJvm.metrics(port).contains("capsule_tasks_in_flight 1.0"));
      WorkerJvm.signal(zombie, "STOP");

      fleet.startWorker(
          c ->
              c.withLevels(Set.of(ComputeLevel.MEDIUM))
                  .withWorkerId("survivor")
                  .withOutputs(OutputMode.TRANSACTIONAL));
      ResultEnvelope envelope = WorkerIT.awaitFinal(fleet, task.id());
      assertThat(envelope.worker()).isEqualTo("survivor");
      WorkerJvm.signal(zombie, "CONT");
      // awake, its outcome (and its running event, due while it was frozen) are either abandoned
      // when its poll thread learns the partition is lost, or go into a transaction the group
      // coordinator refuses: aborted
      await()
          .atMost(BOUND)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> WorkerJvm.metrics(port).contains("capsule_tasks_in_flight 0.0"));

      List<LifecycleEvent> events = fleet.events(task.id());
      assertThat(fleet.results(task.id())).as("events: %s", events).hasSize(1);
      LifecycleEvent last = events.get(events.size() - 1);
      assertThat(last.state()).as("events: %s", events).isEqualTo(TaskState.SUCCEEDED);
      assertThat(last.worker()).as("events: %s", events).isEqualTo("survivor");
      Function<LifecycleEvent, String> byWorker = LifecycleEvent::worker;
      assertThat(events).extracting(byWorker).as("events: %s", events).doesNotContain("zombie");
    }
  }
}
