package io.capsule.worker;

import static io.capsule.worker.WorkerIT.awaitFinal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.FileGrant;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.ScriptRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.protocol.TaskTree;
import io.capsule.sandbox.testing.LocalHttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sub-tasks in the fleet are bounded like local ones: a JavaScript child that asks for more than
 * its parent was granted (a variable the policy allows but the parent was not given, every host,
 * files beyond the parent's) gets only the parent's grant, and a recursive script stops at the
 * policy's depth with the local typed error — each child a request on Kafka run by a real worker.
 */
@ExtendWith(KafkaBrokerExtension.class)
class SubTaskTreeIT {
  private static final Path CACHE =
      Path.of(System.getProperty("capsule.test.shared.cache", "target/shared-test-cache"));

  private final String jaasSecret = "jaas-secret-" + UUID.randomUUID();
  private final String plantedSecret = "planted-secret-" + UUID.randomUUID();

  @TempDir Path filesRoot;

  private CapsuleWorker worker(TestFleet fleet, WorkerPolicy.Builder policy) {
    return fleet.startWorker(
        c ->
            c.withLevels(Set.of(ComputeLevel.LOW, ComputeLevel.MEDIUM))
                .withConcurrency(2)
                .withCacheDir(CACHE)
                .withEnvironment(
                    Map.of(
                        "CAPSULE_KAFKA_SASL_JAAS_CONFIG", jaasSecret,
                        "DB_PASSWORD", plantedSecret,
                        "GREETING", "hello-allowed"))
                .withPolicy(policy.build()));
  }

  /** The operator allows the secret and the loopback server: only the parent's grant bars them. */
  private WorkerPolicy.Builder generousPolicy() {
    return WorkerPolicy.builder()
        .withEnvVariables(List.of("DB_PASSWORD", "GREETING"))
        .withAllowedHosts(List.of("*", "127.0.0.1"))
        .withFilesRoot(FileGrant.parse(filesRoot.toString()));
  }

  private static TaskRequest script(String fileName, String source, TaskOptions options) {
    return TaskRequest.of(ScriptRef.inline(fileName, source), List.of(), options);
  }

  private static TaskRequest script(String fileName, String source) {
    return script(
        fileName,
        source,
        TaskOptions.builder().name("main").compute(Compute.of(ComputeLevel.LOW)).build());
  }

  private static final String GREEDY_CHILD =
      """
      import { task } from "@capsule-run/sdk";
      import fs from "fs";

      const attempt = (f) => { try { return f(); } catch (e) { return "denied"; } };

      const peek = task({ name: "peek", compute: "MEDIUM", timeout: "10m", maxRetries: 3,
          envVariables: ["DB_PASSWORD", "GREETING"], allowedHosts: ["*", "127.0.0.1"],
          allowedFiles: ["./in", "./secret"] }, async () => {
        let loopback = "reached";
        try { await fetch("%s"); } catch (e) { loopback = "denied"; }
        return { db: process.env.DB_PASSWORD ?? null, greeting: process.env.GREETING ?? null,
                 loopback,
                 read: attempt(() => fs.readFileSync("./in/data.txt")),
                 write: attempt(() => { fs.writeFileSync("./in/out.txt", "x"); return "written"; }),
                 secret: attempt(() => fs.readFileSync("./secret/key.txt")) };
      });

      export const main = task({ name: "main" }, async () => await peek());
      """;

  /** What the producer grants the parent: one variable, one directory read-only, no hosts. */
  private static final TaskOptions PARENT_GRANT =
      TaskOptions.builder()
          .name("main")
          .compute(Compute.of(ComputeLevel.LOW))
          .timeout(Duration.ofSeconds(30))
          .envVariables(List.of("GREETING"))
          .allowedFiles(List.of(FileGrant.parse("./in:ro")))
          .build();

  @Test
  void aChildAskingForMoreThanItsParentGetsOnlyTheParentsGrant(@BootstrapServers String servers)
      throws IOException {
    Files.createDirectories(filesRoot.resolve("in"));
    Files.writeString(filesRoot.resolve("in/data.txt"), "inside the parent's grant");
    Files.createDirectories(filesRoot.resolve("secret"));
    Files.writeString(filesRoot.resolve("secret/key.txt"), plantedSecret);
    try (TestFleet fleet = new TestFleet(servers);
        LocalHttpServer loopback = LocalHttpServer.start()) {
      worker(fleet, generousPolicy());
      String source = GREEDY_CHILD.formatted(loopback.url("/hello?key=fleet-child"));
      TaskRequest parent = fleet.submit(script("agent.js", source, PARENT_GRANT));

      ResultEnvelope envelope = awaitFinal(fleet, parent.id());

      assertThat(envelope.success()).as(envelope.toString()).isTrue();
      var child = envelope.result();
      assertThat(child.path("db").isNull()).as(child.toString()).isTrue();
      assertThat(child.path("greeting").asText()).isEqualTo("hello-allowed");
      assertThat(child.path("loopback").asText()).isEqualTo("denied");
      assertThat(child.path("read").asText()).isEqualTo("inside the parent's grant");
      assertThat(child.path("write").asText()).isEqualTo("denied");
      assertThat(child.path("secret").asText()).isEqualTo("denied");
      assertThat(loopback.received()).as("requests the loopback server saw").isEmpty();
      assertThat(filesRoot.resolve("in/out.txt")).doesNotExist();

      TaskRequest request = onlyChildOf(fleet, parent);
      assertThat(request.options().compute()).isEqualTo(Compute.of(ComputeLevel.LOW));
      assertThat(request.options().timeout()).isEqualTo(Duration.ofSeconds(30));
      assertThat(request.options().maxRetries()).isZero();
      assertThat(request.permissions().envVariables()).containsExactly("GREETING");
      assertThat(request.permissions().allowedHosts()).isEmpty();
      assertThat(request.permissions().allowedFiles())
          .containsExactly(new FileGrant("./in", null, true));
      assertThat(request.tree()).isEqualTo(new TaskTree(parent.id(), 1, 31));
      LifecycleEvent queued = fleet.events(request.id()).get(0);
      assertThat(queued.state()).isEqualTo(TaskState.QUEUED);
      assertThat(queued.message())
          .startsWith("narrowed to its parent's grant:")
          .contains("env_variables [DB_PASSWORD, GREETING] -> [GREETING]")
          .contains("allowed_hosts [*, 127.0.0.1] -> []")
          .contains("compute MEDIUM -> LOW");
      LifecycleEvent terminal =
          fleet.events(request.id()).get(fleet.events(request.id()).size() - 1);
      assertThat(terminal.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(terminal.treeBudgetLeft()).as("it started nothing: its whole share").isEqualTo(31);
      assertThat(fleet.assertNoRecordContains(jaasSecret, plantedSecret)).isPositive();
    }
  }

  @Test
  void recursionStopsAtThePolicysDepthWithTheLocalTypedError(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      worker(fleet, generousPolicy().withMaxSubTaskDepth(2));
      String source =
          """
          import { task } from "@capsule-run/sdk";
          const dive = task({ name: "dive", compute: "LOW" }, async (n) => await dive(n + 1));
          export const main = task({ name: "main", compute: "LOW" }, async () => await dive(1));
          """;
      TaskRequest root = fleet.submit(script("recurse.js", source));

      ResultEnvelope envelope = awaitFinal(fleet, root.id());

      assertThat(envelope.success()).as(envelope.toString()).isFalse();
      String depthError =
          "sub-task depth 3 exceeds the operator's limit of 2 nested levels (max_sub_task_depth)";
      assertThat(envelope.error().message()).contains("invalid_request").contains(depthError);
      List<TaskRequest> tree = descendantsOf(fleet, root);
      assertThat(tree).extracting(r -> r.tree().depth()).containsExactly(1, 2);
      assertThat(tree).allMatch(r -> r.tree().root().equals(root.id()));
      TaskRequest deepest = tree.get(1);
      assertThat(deepest.parentId()).isEqualTo(tree.get(0).id());
      ResultEnvelope refused = awaitFinal(fleet, deepest.id());
      assertThat(refused.error().errorType()).isEqualTo(ErrorType.INVALID_REQUEST);
      assertThat(refused.error().message()).isEqualTo(depthError);
    }
  }

  @Test
  void aParentGetsBackWhatEachFinishedChildLeftSoItsCallsInTurnReachTheWholeBudget(
      @BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      worker(fleet, generousPolicy().withMaxSubTasks(12));
      // each child may spawn (depth 1 of 4) and so takes half of what is left with it; it gives
      // that back when it ends, so twelve calls in turn fit a budget of twelve; the thirteenth is
      // one more than a task may start, refused as locally
      String source =
          """
          import { task } from "@capsule-run/sdk";
          const leaf = task({ name: "leaf", compute: "LOW" }, (i) => i);
          export const main = task({ name: "main", compute: "LOW" }, async () => {
            for (let i = 0; i < 13; i++) await leaf(i);
          });
          """;
      TaskRequest root = fleet.submit(script("turns.js", source));

      ResultEnvelope envelope = awaitFinal(fleet, root.id());

      assertThat(envelope.success()).as(envelope.toString()).isFalse();
      assertThat(envelope.error().errorType()).isEqualTo(ErrorType.INVALID_REQUEST);
      assertThat(envelope.error().message())
          .isEqualTo("a task tree may start at most 12 sub-tasks (max_sub_tasks)");
      List<TaskRequest> children = descendantsOf(fleet, root);
      // every call costs one for good; each child's half share comes back when it ends
      assertThat(children)
          .extracting(c -> c.tree().budget())
          .containsExactlyInAnyOrder(5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
      for (TaskRequest child : children) {
        assertThat(awaitFinal(fleet, child.id()).success()).isTrue();
      }
    }
  }

  @Test
  void aForgedTreeGivesAProducerNoMoreThanANewRoot(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      worker(fleet, generousPolicy().withMaxSubTasks(3));
      String source =
          """
          import { task } from "@capsule-run/sdk";
          const leaf = task({ name: "leaf", compute: "LOW" }, (i) => i);
          export const main = task({ name: "main", compute: "LOW" }, async () => {
            const got = [];
            for (let i = 0; i < 5; i++) {
              try { got.push(await leaf(i)); } catch (e) { got.push(e.envelope.error.message); }
            }
            return got;
          });
          """;
      // claims depth 0 and a huge budget in someone else's tree: capped at a root's 3
      TaskRequest forged =
          script("forged.js", source)
              .withParent("victim")
              .withTree(new TaskTree("victim", 0, Integer.MAX_VALUE));
      fleet.submit(forged);

      ResultEnvelope envelope = awaitFinal(fleet, forged.id());

      assertThat(envelope.success()).as(envelope.toString()).isFalse();
      assertThat(envelope.error().errorType()).isEqualTo(ErrorType.INVALID_REQUEST);
      assertThat(envelope.error().message()).contains("at most 3 sub-tasks (max_sub_tasks)");
      List<TaskRequest> children = descendantsOf(fleet, forged);
      assertThat(children).hasSizeLessThanOrEqualTo(3);
      assertThat(children).allMatch(c -> c.tree().depth() == 1 && c.tree().budget() <= 1);
    }
  }

  private static TaskRequest onlyChildOf(TestFleet fleet, TaskRequest parent) {
    List<TaskRequest> children =
        fleet.read(fleet.topics().tasks(ComputeLevel.LOW), TaskRequest.class).stream()
            .filter(r -> parent.id().equals(r.parentId()))
            .toList();
    assertThat(children).hasSize(1);
    return children.get(0);
  }

  /** Every child request of the tree under {@code root}, by depth. */
  private static List<TaskRequest> descendantsOf(TestFleet fleet, TaskRequest root) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                fleet.read(fleet.topics().tasks(ComputeLevel.LOW), TaskRequest.class).stream()
                    .filter(r -> r.tree() != null && r.id().startsWith(root.id() + "/"))
                    .sorted(Comparator.comparingInt(r -> r.tree().depth()))
                    .toList(),
            list -> !list.isEmpty());
  }
}
