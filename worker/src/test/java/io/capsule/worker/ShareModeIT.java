package io.capsule.worker;

import static io.capsule.worker.TestFleet.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.sandbox.testing.Corpus;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Share-group consumption: one record per acquisition, explicit acks, RENEW for long tasks. */
@ExtendWith(KafkaBrokerExtension.class)
class ShareModeIT {
  private static final TaskOptions LOW =
      TaskOptions.builder().compute(Compute.of(ComputeLevel.LOW)).build();

  @Test
  void shareModeRunsSucceedsRetriesAndRenewsLongTasks(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      fleet.send(
          fleet.topics().tasks(ComputeLevel.LOW),
          "poison",
          "garbage".getBytes(StandardCharsets.UTF_8));
      TaskRequest hello = fleet.submit(request(Corpus.wat("hello"), LOW));
      TaskRequest failing =
          fleet.submit(request(Corpus.wat("exit_3"), LOW.toBuilder().maxRetries(1).build()));
      TaskRequest longTask = fleet.submit(request(Corpus.wat("sleep_12s"), LOW));
      CapsuleWorker worker =
          fleet.startWorker(
              c ->
                  c.withLevels(Set.of(ComputeLevel.LOW))
                      .withMode(ConsumptionMode.SHARE)
                      .withConcurrency(2));

      assertThat(WorkerIT.awaitFinal(fleet, hello.id()).success()).isTrue();
      ResultEnvelope failed = WorkerIT.awaitFinal(fleet, failing.id());
      assertThat(failed.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
      assertThat(failed.execution().retries()).isEqualTo(1);
      assertThat(WorkerIT.awaitFinal(fleet, longTask.id()).success()).isTrue();
      assertThat(fleet.results(longTask.id())).hasSize(1);
      assertThat(fleet.deadLetters()).anyMatch(l -> "poison".equals(l.taskId()));
      // the long task's lock was renewed, not lapsed: the broker handed the record back after
      // each RENEW, and it was never handed to a second slot
      String metrics = worker.scrapeMetrics();
      assertThat(metrics)
          .containsPattern(
              "capsule_share_lock_renewals_total\\{[^}]*outcome=\"renewed\"[^}]*\\} [1-9]")
          .doesNotContain("outcome=\"lapsed\"")
          .doesNotContain("capsule_duplicates_skipped_total{");
    }
  }
}
