package io.capsule.worker;

import static io.capsule.worker.WorkerIT.awaitFinal;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.ScriptRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * capsule-run's automatic {@code main} on the fleet: a request for {@code main} (what clients send
 * by default) runs a file's only task, and fails naming the tasks when there are several.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ScriptEntryTaskIT {
  private static final Path CACHE =
      Path.of(System.getProperty("capsule.test.shared.cache", "target/shared-test-cache"));

  private static final String ONE_TASK =
      """
      import { task } from "@capsule-run/sdk";

      export const analyzeData = task({ name: "analyze_data", compute: "LOW" },
        (dataset) => ({ processed: dataset.split(",").length }));
      """;

  private static final String TWO_TASKS =
      ONE_TASK + "export const fetchData = task({ name: \"fetch_data\" }, () => 1);\n";

  private static TaskRequest mainOf(String fileName, String source) {
    return TaskRequest.of(
        ScriptRef.inline(fileName, source),
        List.of(TextNode.valueOf("a,b,c")),
        TaskOptions.builder().build());
  }

  @Test
  void aRequestForMainRunsTheFilesOnlyTaskOrNamesTheTasks(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      fleet.startWorker(
          c ->
              c.withLevels(Set.of(ComputeLevel.MEDIUM))
                  .withCacheDir(CACHE)
                  .withWorkerId("w-entry"));
      TaskRequest one = fleet.submit(mainOf("one.js", ONE_TASK));
      TaskRequest two = fleet.submit(mainOf("two.js", TWO_TASKS));

      ResultEnvelope ran = awaitFinal(fleet, one.id());
      assertThat(ran.success()).as(ran.toString()).isTrue();
      assertThat(ran.result().path("processed").asInt()).isEqualTo(3);
      assertThat(ran.execution().taskName()).isEqualTo("analyze_data");

      ResultEnvelope refused = awaitFinal(fleet, two.id());
      assertThat(refused.success()).isFalse();
      assertThat(refused.error().errorType()).isEqualTo(ErrorType.INVALID_REQUEST);
      assertThat(refused.error().message()).contains("analyze_data, fetch_data");
    }
  }
}
