package io.capsule.worker;

import static io.capsule.worker.TestFleet.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.sandbox.testing.Corpus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Many trivial tasks across three workers: none lost, none duplicated. */
@ExtendWith(KafkaBrokerExtension.class)
class FleetThroughputIT {
  private static final int TASKS = 10_000;

  @Test
  void tenThousandTasksAcrossThreeWorkersArriveExactlyOnce(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers, 6)) {
      long starting = System.nanoTime();
      for (int i = 0; i < 3; i++) {
        String id = "w" + i;
        fleet.startWorker(
            c -> c.withLevels(Set.of(ComputeLevel.LOW)).withConcurrency(2).withWorkerId(id));
      }
      fleet.awaitGroupSpread(ComputeLevel.LOW, 3, Duration.ofSeconds(60));
      System.err.printf(
          "3 workers started and assigned in %d ms%n", (System.nanoTime() - starting) / 1_000_000);
      byte[] hello = Corpus.wat("hello");
      TaskOptions low =
          TaskOptions.builder().compute(io.capsule.protocol.Compute.parse("LOW")).build();
      Set<String> ids = new HashSet<>();
      long start = System.nanoTime();
      for (int i = 0; i < TASKS; i++) {
        TaskRequest task = request(hello, low);
        ids.add(task.id());
        fleet
            .producer()
            .send(
                new ProducerRecord<>(
                    fleet.topics().tasks(ComputeLevel.LOW),
                    task.id(),
                    CapsuleJson.write(task).getBytes(StandardCharsets.UTF_8)));
      }
      fleet.producer().flush();

      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> fleet.readRecords(fleet.topics().results()).size() >= TASKS);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.err.printf("%d tasks in %.1f s: %.0f tasks/s%n", TASKS, seconds, TASKS / seconds);

      List<ResultEnvelope> results = fleet.results();
      assertThat(results).hasSize(TASKS);
      assertThat(results).allMatch(ResultEnvelope::success);
      assertThat(results.stream().map(ResultEnvelope::taskId).collect(Collectors.toSet()))
          .isEqualTo(ids);
      assertThat(results.stream().map(ResultEnvelope::worker).collect(Collectors.toSet()))
          .hasSize(3);
    }
  }
}
