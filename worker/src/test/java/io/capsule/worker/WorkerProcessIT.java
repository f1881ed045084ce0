package io.capsule.worker;

import static io.capsule.worker.TestFleet.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.sandbox.testing.Corpus;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Workers as separate JVM processes: killed with SIGKILL, or stopped with SIGTERM. */
@ExtendWith(KafkaBrokerExtension.class)
class WorkerProcessIT {
  private static final Duration BOUND = Duration.ofSeconds(90);
  private final WorkerJvm workers = new WorkerJvm();

  @AfterEach
  void killLeftovers() {
    workers.close();
  }

  @Test
  void killedWorkersTaskFinishesElsewhereExactlyOnce(@BootstrapServers String servers)
      throws Exception {
    try (TestFleet fleet = new TestFleet(servers)) {
      Process doomed = launch(fleet, "doomed");
      TaskRequest task = fleet.submit(request(Corpus.wat("sleep_3s"), TaskOptions.NONE));
      await().atMost(BOUND).until(() -> fleet.events(task.id()), e -> startedBy(e, "doomed"));
      CapsuleWorker survivor =
          fleet.startWorker(
              c ->
                  c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM))
                      .withWorkerId("survivor")
                      .withKafkaProperty("session.timeout.ms", "6000"));
      doomed.destroyForcibly();
      assertThat(doomed.waitFor(10, TimeUnit.SECONDS)).isTrue();

      ResultEnvelope envelope = WorkerIT.awaitFinal(fleet, task.id());
      assertThat(envelope.success()).isTrue();
      assertThat(envelope.worker()).isEqualTo("survivor");
      await().atMost(BOUND).until(() -> survivor.inFlight() == 0);
      TaskRequest next = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));
      WorkerIT.awaitFinal(fleet, next.id());
      assertThat(fleet.results(task.id())).hasSize(1);
    }
  }

  @Test
  void sigtermDrainsTheRunningTaskAndExitsZero(@BootstrapServers String servers) throws Exception {
    try (TestFleet fleet = new TestFleet(servers)) {
      Process worker = launch(fleet, "drained");
      TaskRequest task = fleet.submit(request(Corpus.wat("sleep_3s"), TaskOptions.NONE));
      await().atMost(BOUND).until(() -> fleet.events(task.id()), e -> startedBy(e, "drained"));
      worker.destroy();

      assertThat(worker.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(worker.exitValue()).isZero();
      ResultEnvelope envelope = WorkerIT.awaitFinal(fleet, task.id());
      assertThat(envelope.success()).isTrue();
      assertThat(envelope.worker()).isEqualTo("drained");
      assertThat(fleet.committedOffset(ComputeLevel.MEDIUM, 0)).isEqualTo(1L);
    }
  }

  /**
   * The attack of issue 11: a module whose one {@code memory.grow} (within its ram cap) is more
   * than the worker's heap. Workers run as the image runs them ({@code
   * -XX:+ExitOnOutOfMemoryError}), so each delivery kills its worker; after {@code
   * --max-deliveries} such deliveries the next worker dead-letters the task instead of dying too,
   * and serves on.
   */
  @Test
  void taskThatKillsItsWorkersIsDeadLetteredAfterTheDeliveryLimit(@BootstrapServers String servers)
      throws Exception {
    try (TestFleet fleet = new TestFleet(servers)) {
      byte[] bomb =
          io.capsule.sandbox.WatAssembler.assemble(
              "(module (memory 1) (func (export \"_start\")"
                  + " (drop (memory.grow (i32.const 8000)))))");
      TaskRequest task =
          fleet.submit(
              request(
                  bomb,
                  TaskOptions.builder().ram(io.capsule.protocol.ByteSize.parse("1GB")).build()));
      for (int death = 1; death <= 2; death++) {
        Process doomed =
            launch(
                fleet,
                "oom-" + death,
                List.of("-Xmx96m", "-XX:+ExitOnOutOfMemoryError"),
                List.of("--max-deliveries", "2", "--running-event-after", "0"));
        assertThat(doomed.waitFor(60, TimeUnit.SECONDS)).as("oom-%d died", death).isTrue();
        assertThat(doomed.exitValue()).isEqualTo(3);
      }
      fleet.startWorker(
          c ->
              c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM))
                  .withWorkerId("survivor")
                  .withMaxDeliveries(2)
                  .withKafkaProperty("session.timeout.ms", "6000"));

      ResultEnvelope envelope = WorkerIT.awaitFinal(fleet, task.id());
      assertThat(envelope.error().message()).contains("delivered 2 times");
      assertThat(envelope.worker()).isEqualTo("survivor");
      await()
          .atMost(BOUND)
          .until(() -> WorkerIT.deadLettersOf(fleet, task.id()), l -> !l.isEmpty());
      assertThat(WorkerIT.deadLettersOf(fleet, task.id()).get(0).reason())
          .isEqualTo(io.capsule.worker.internal.OutcomePolicy.DELIVERY_LIMIT);
      TaskRequest next = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));
      assertThat(WorkerIT.awaitFinal(fleet, next.id()).success()).isTrue();
    }
  }

  private static boolean startedBy(List<LifecycleEvent> events, String worker) {
    return events.stream()
        .anyMatch(e -> e.state() == TaskState.RUNNING && worker.equals(e.worker()));
  }

  private Process launch(TestFleet fleet, String workerId) throws IOException {
    return launch(fleet, workerId, List.of("-Xmx256m"), List.of());
  }

  private Process launch(TestFleet fleet, String workerId, List<String> jvm, List<String> flags)
      throws IOException {
    List<String> sixSecondSession =
        new ArrayList<>(List.of("--kafka-property", "session.timeout.ms=6000"));
    sixSecondSession.addAll(flags);
    return workers.launch(fleet, workerId, jvm, sixSecondSession);
  }
}
