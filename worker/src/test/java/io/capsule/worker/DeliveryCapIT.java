package io.capsule.worker;

import static io.capsule.worker.TestFleet.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.sandbox.testing.Corpus;
import io.capsule.worker.internal.OutcomePolicy;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A task whose deliveries keep ending with their worker gone is dead-lettered after the worker's
 * delivery limit instead of going round the fleet. Each "death" is a worker that stops with no
 * grace while the task runs: it publishes nothing for it and commits nothing, exactly what the rest
 * of the fleet sees of a worker killed mid-task.
 */
@ExtendWith(KafkaBrokerExtension.class)
class DeliveryCapIT {
  private static final Duration BOUND = Duration.ofSeconds(90);
  private static final int MAX_DELIVERIES = 2;

  @ParameterizedTest
  @EnumSource(ConsumptionMode.class)
  void taskWhoseWorkersKeepDyingIsDeadLetteredAfterTheDeliveryLimit(
      ConsumptionMode mode, @BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      TaskRequest doom =
          fleet.submit(
              request(
                  Corpus.wat("sleep_forever"),
                  TaskOptions.builder().timeout(Duration.ofMinutes(10)).build()));
      for (int death = 1; death <= MAX_DELIVERIES; death++) {
        String id = "doomed-" + death;
        CapsuleWorker doomed = fleet.startWorker(c -> worker(c, mode, id));
        await().atMost(BOUND).until(() -> fleet.events(doom.id()), events -> startedBy(events, id));
        doomed.shutdown().join();
        assertThat(doomed.handedBack()).as("%s died holding the task", id).isEqualTo(1);
      }
      fleet.startWorker(c -> worker(c, mode, "survivor"));

      ResultEnvelope envelope = WorkerIT.awaitFinal(fleet, doom.id());
      assertThat(envelope.error().errorType()).isEqualTo(ErrorType.INTERNAL_ERROR);
      assertThat(envelope.error().message())
          .contains("delivered " + MAX_DELIVERIES + " times")
          .contains("dead-lettered");
      assertThat(envelope.worker()).isEqualTo("survivor");
      await()
          .atMost(BOUND)
          .until(() -> WorkerIT.deadLettersOf(fleet, doom.id()), l -> !l.isEmpty());
      DeadLetter letter = WorkerIT.deadLettersOf(fleet, doom.id()).get(0);
      assertThat(letter.reason()).isEqualTo(OutcomePolicy.DELIVERY_LIMIT);
      assertThat(letter.request().id()).isEqualTo(doom.id());
      await()
          .atMost(BOUND)
          .until(() -> WorkerIT.states(fleet, doom.id()), s -> s.contains(TaskState.DEAD_LETTERED));
      assertThat(fleet.events(doom.id()))
          .filteredOn(e -> e.state() == TaskState.RUNNING)
          .extracting(LifecycleEvent::worker)
          .containsExactly("doomed-1", "doomed-2");

      TaskRequest next = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));
      assertThat(WorkerIT.awaitFinal(fleet, next.id()).success()).isTrue();
      assertThat(fleet.results(doom.id())).hasSize(1);
    }
  }

  private static WorkerConfig.Builder worker(
      WorkerConfig.Builder config, ConsumptionMode mode, String id) {
    return config
        .withLevels(Set.of(ComputeLevel.MEDIUM))
        .withMode(mode)
        .withWorkerId(id)
        .withShutdownGrace(Duration.ZERO)
        .withRunningEventAfter(Duration.ZERO)
        .withMaxDeliveries(MAX_DELIVERIES);
  }

  private static boolean startedBy(List<LifecycleEvent> events, String worker) {
    return events.stream()
        .anyMatch(e -> e.state() == TaskState.RUNNING && worker.equals(e.worker()));
  }
}
