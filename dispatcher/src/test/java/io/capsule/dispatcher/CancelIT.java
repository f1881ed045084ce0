package io.capsule.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskState;
import io.capsule.sandbox.testing.Corpus;
import io.capsule.worker.CapsuleWorker;
import io.capsule.worker.WorkerConfig;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Cancels through the real client reaching a real worker: a waiting task never runs, a running one
 * is stopped (its slot frees at once, it publishes no envelope), on a worker with a single task
 * slot so that a stuck task would block everything behind it.
 */
@ExtendWith(KafkaBrokerExtension.class)
class CancelIT {
  private static final Duration BOUND = Duration.ofSeconds(60);
  private static final TaskOptions LOW =
      TaskOptions.builder().compute(Compute.of(ComputeLevel.LOW)).build();

  @Test
  void aRunningTaskStopsAndAWaitingOneNeverRuns(@BootstrapServers String servers) throws Exception {
    FleetConnection fleet = TestFleet.fresh(servers);
    CapsuleWorker worker = worker(servers, fleet);
    try (CapsuleClient client = CapsuleClient.builder().connection(fleet).build()) {
      // sleeps until its 5-minute default timeout: only a cancel frees the one slot sooner
      TaskHandle stuck = client.submit(Corpus.wat("sleep_forever"), List.of(), LOW);
      await().atMost(BOUND).until(() -> state(client, stuck.id()) == TaskState.RUNNING);
      TaskHandle waiting = client.submit(Corpus.wat("hello"), List.of(), LOW);
      waiting.accepted().get(30, TimeUnit.SECONDS);

      assertThat(client.cancel(waiting.id())).isTrue();
      assertThat(client.cancel(stuck.id())).isTrue();
      assertThatThrownBy(() -> stuck.result().get(5, TimeUnit.SECONDS))
          .isInstanceOf(CancellationException.class);

      // the slot is free again: a task submitted after the cancels runs
      TaskHandle after = client.submit(Corpus.wat("hello"), List.of(), LOW);
      assertThat(after.result().get(BOUND.toSeconds(), TimeUnit.SECONDS).success()).isTrue();

      await().atMost(BOUND).until(() -> workerCancelled(fleet, stuck.id()));
      assertThat(envelopesOf(fleet, stuck.id())).as(() -> envelopeText(fleet, stuck.id())).isZero();
      assertThat(envelopesOf(fleet, waiting.id())).isZero();
      assertThat(states(fleet, waiting.id()))
          .as("the cancelled waiting task never started")
          .doesNotContain(TaskState.RUNNING, TaskState.SUCCEEDED);
      assertThat(state(client, stuck.id())).isEqualTo(TaskState.CANCELLED);
      assertThat(worker.scrapeMetrics()).contains("outcome=\"cancelled\"");
    } finally {
      worker.shutdown().join();
    }
  }

  private static CapsuleWorker worker(String servers, FleetConnection fleet) {
    return CapsuleWorker.create(
            WorkerConfig.builder()
                .withBootstrapServers(servers)
                .withTopicPrefix(fleet.topics().prefix())
                .withLevels(Set.of(ComputeLevel.LOW))
                .withConcurrency(1)
                // room for one task's default ram cap (256MB): a long task turning its slot over
                // keeps its ram, so the tasks behind it really wait
                .withMemoryBudget(ByteSize.parse("300MB"))
                .withCreateTopics(false)
                .withMetricsPort(0)
                .withWorkerId("cancel-worker")
                .build())
        .start();
  }

  private static TaskState state(CapsuleClient client, String id) {
    return client.status(id).map(LifecycleEvent::state).orElse(null);
  }

  /** The worker's own cancelled event: it stopped the attempt and has the last word. */
  private static boolean workerCancelled(FleetConnection fleet, String id) {
    return events(fleet, id).stream()
        .anyMatch(e -> e.state() == TaskState.CANCELLED && "cancel-worker".equals(e.worker()));
  }

  private static List<LifecycleEvent> events(FleetConnection fleet, String id) {
    return TestFleet.records(fleet, fleet.topics().events()).stream()
        .filter(r -> id.equals(r.key()))
        .map(r -> io.capsule.protocol.CapsuleJson.read(TestFleet.text(r), LifecycleEvent.class))
        .collect(Collectors.toList());
  }

  private static List<TaskState> states(FleetConnection fleet, String id) {
    return events(fleet, id).stream().map(LifecycleEvent::state).collect(Collectors.toList());
  }

  private static String envelopeText(FleetConnection fleet, String id) {
    return TestFleet.records(fleet, fleet.topics().results()).stream()
        .filter(r -> id.equals(r.key()))
        .map(r -> r.topic() + "@" + r.offset() + " " + r.headers() + " " + TestFleet.text(r))
        .collect(Collectors.joining("\n", "envelopes: ", ""));
  }

  private static long envelopesOf(FleetConnection fleet, String id) {
    return TestFleet.records(fleet, fleet.topics().results()).stream()
        .filter(r -> id.equals(r.key()))
        .count();
  }
}
