package io.capsule.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.dispatcher.DeadLetterReplayer.Filter;
import io.capsule.dispatcher.DeadLetterReplayer.Outcome;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.ModuleRef;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaBrokerExtension.class)
class DeadLetterReplayerIT {
  private static final Duration READ = Duration.ofSeconds(20);

  @Test
  void replaysEachDeadLetterOnceAndASecondReplayDoesNothing(@BootstrapServers String servers) {
    FleetConnection fleet = TestFleet.fresh(servers);
    TaskRequest timedOut = deadLetter(fleet, ErrorType.TIMEOUT, ComputeLevel.LOW);
    deadLetter(fleet, ErrorType.TASK_ERROR, ComputeLevel.HIGH);
    TestFleet.produce(
        fleet,
        fleet.topics().deadLetters(),
        "junk",
        DeadLetter.unreadable(
            "junk", "{oops".getBytes(StandardCharsets.UTF_8), "bad JSON", "x/0/0"));

    try (var replayer = DeadLetterReplayer.connect(fleet, READ)) {
      var first = replayer.replay(new Filter(ErrorType.TIMEOUT, null), false);
      assertThat(first.entries())
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.taskId()).isEqualTo(timedOut.id());
                assertThat(e.outcome()).isEqualTo(Outcome.REPLAYED);
                assertThat(e.level()).isEqualTo(ComputeLevel.LOW);
              });
      var replayed = TestFleet.records(fleet, fleet.topics().tasks(ComputeLevel.LOW));
      assertThat(replayed).hasSize(1);
      TaskRequest again = CapsuleJson.read(TestFleet.text(replayed.get(0)), TaskRequest.class);
      assertThat(again.id()).isEqualTo(timedOut.id());
      assertThat(again.attempt()).isEqualTo(1);
      assertThat(again.notBefore()).isZero();

      var second = replayer.replay(Filter.ALL, false);
      assertThat(second.count(Outcome.REPLAYED)).isEqualTo(1); // only the task_error letter
      assertThat(second.count(Outcome.ALREADY_REPLAYED)).isEqualTo(1);
      assertThat(second.count(Outcome.NOT_REPLAYABLE)).isEqualTo(1);

      var third = replayer.replay(Filter.ALL, false);
      assertThat(third.count(Outcome.REPLAYED)).isZero();
      assertThat(third.count(Outcome.ALREADY_REPLAYED)).isEqualTo(2);
    }
    assertThat(TestFleet.records(fleet, fleet.topics().tasks(ComputeLevel.LOW))).hasSize(1);
    assertThat(TestFleet.records(fleet, fleet.topics().tasks(ComputeLevel.HIGH))).hasSize(1);
  }

  @Test
  void dryRunListsWhatWouldBeReplayedAndChangesNothing(@BootstrapServers String servers) {
    FleetConnection fleet = TestFleet.fresh(servers);
    deadLetter(fleet, ErrorType.TIMEOUT, ComputeLevel.MEDIUM);
    try (var replayer = DeadLetterReplayer.connect(fleet, READ)) {
      var dry = replayer.replay(Filter.ALL, true);
      assertThat(dry.entries())
          .singleElement()
          .extracting(DeadLetterReplayer.Entry::outcome)
          .isEqualTo(Outcome.WOULD_REPLAY);
      assertThat(TestFleet.records(fleet, fleet.topics().tasks(ComputeLevel.MEDIUM))).isEmpty();
      assertThat(TestFleet.records(fleet, DeadLetterReplayer.markerTopic(fleet.topics())))
          .isEmpty();
      assertThat(replayer.replay(Filter.ALL, true).count(Outcome.WOULD_REPLAY)).isEqualTo(1);
    }
  }

  @Test
  void sinceFilterSkipsOlderDeadLetters(@BootstrapServers String servers) {
    FleetConnection fleet = TestFleet.fresh(servers);
    deadLetter(fleet, ErrorType.TIMEOUT, ComputeLevel.LOW);
    try (var replayer = DeadLetterReplayer.connect(fleet, READ)) {
      Instant future = Instant.now().plusSeconds(3600);
      assertThat(replayer.replay(new Filter(null, future), false).entries()).isEmpty();
      assertThat(
              replayer.replay(new Filter(null, Instant.now().minusSeconds(3600)), true).entries())
          .hasSize(1);
    }
  }

  @Test
  void aLetterWhoseRequestWasLeftOutIsListedAsSuchAndNothingIsReplayed(
      @BootstrapServers String servers) {
    FleetConnection fleet = TestFleet.fresh(servers);
    TaskRequest request =
        TaskRequest.of(
            ModuleRef.inline(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0}),
            List.of(),
            TaskOptions.builder().compute(Compute.of(ComputeLevel.MEDIUM)).build());
    ResultEnvelope last =
        ResultEnvelope.failure(ErrorType.WASM_ERROR, "trap", Execution.none("main"))
            .withTask(request.id(), 1, "fake-worker");
    DeadLetter cut =
        DeadLetter.failed(request, last, "not_retryable", "capsule.tasks.medium/0/9")
            .withoutBodies("too large for a record");
    TestFleet.produce(fleet, fleet.topics().deadLetters(), request.id(), cut);

    try (var replayer = DeadLetterReplayer.connect(fleet, READ)) {
      var report = replayer.replay(Filter.ALL, false);

      assertThat(report.entries())
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.taskId()).isEqualTo(request.id());
                assertThat(e.outcome()).isEqualTo(Outcome.REQUEST_OMITTED);
                assertThat(e.level()).isNull();
              });
      assertThat(report.count(Outcome.REPLAYED)).isZero();
    }
    assertThat(TestFleet.records(fleet, fleet.topics().tasks(ComputeLevel.MEDIUM))).isEmpty();
  }

  private static TaskRequest deadLetter(FleetConnection fleet, ErrorType type, ComputeLevel level) {
    TaskRequest request =
        TaskRequest.of(
                ModuleRef.inline(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0}),
                List.of(),
                TaskOptions.builder().compute(Compute.of(level)).maxRetries(1).build())
            .nextAttempt(System.currentTimeMillis() + 1000);
    ResultEnvelope last =
        ResultEnvelope.failure(type, "failed", new Execution("main", 5, 1, 10, 0, List.of()))
            .withTask(request.id(), 2, "fake-worker");
    TestFleet.produce(
        fleet,
        fleet.topics().deadLetters(),
        request.id(),
        DeadLetter.failed(request, last, "s/0/1"));
    return request;
  }
}
