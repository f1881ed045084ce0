package io.capsule.worker;

import static io.capsule.worker.WorkerIT.awaitFinal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.ScriptRef;
import io.capsule.protocol.Sha256;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.sandbox.testing.LocalHttpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Script tasks on a real broker: a TypeScript parent on one level calls children declared on
 * another, which travel as child requests to their own level's topic.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ScriptTasksIT {
  private static final Duration BOUND = Duration.ofSeconds(90);

  /** The interpreters (and CPython's compiled classes) cached by the sandbox's tests. */
  private static final Path CACHE =
      Path.of(System.getProperty("capsule.test.shared.cache", "target/shared-test-cache"));

  private static final String FAMILY_TS =
      """
      import { task, TaskError } from "@capsule-run/sdk";

      const child = task({ name: "child", compute: "LOW", ram: "32MB", timeout: "20s" },
        (n: number) => ({ doubled: n * 2 }));

      const broken = task({ name: "broken", compute: "LOW" }, () => {
        throw new Error("child broke on purpose");
      });

      export const main = task({ name: "main", compute: "MEDIUM" }, async (n: string) => {
        return { parent: "ts", child: await child(Number(n)) };
      });

      export const catches = task({ name: "catches", compute: "MEDIUM" }, async () => {
        try {
          await broken();
          return "no error";
        } catch (e) {
          return { isTaskError: e instanceof TaskError, envelope: e.envelope };
        }
      });

      export const fails = task({ name: "fails", compute: "MEDIUM" }, async () => await broken());
      """;

  private static TaskRequest scriptRequest(String source, String task, String... args) {
    List<JsonNode> argv =
        java.util.Arrays.stream(args).map(a -> (JsonNode) TextNode.valueOf(a)).toList();
    return TaskRequest.of(
        ScriptRef.inline("family.ts", source),
        argv,
        TaskOptions.builder().name(task).compute(Compute.of(ComputeLevel.MEDIUM)).build());
  }

  /** The request with the loopback host granted, so that its children may be given it. */
  private static TaskRequest withLoopback(TaskRequest request) {
    return TaskRequest.of(
        request.script(),
        request.args(),
        request.options().toBuilder().allowedHosts(List.of("127.0.0.1")).build());
  }

  private static CapsuleWorker worker(TestFleet fleet, int concurrency) {
    return fleet.startWorker(
        c ->
            c.withLevels(Set.of(ComputeLevel.LOW, ComputeLevel.MEDIUM))
                .withConcurrency(concurrency)
                .withCacheDir(CACHE)
                .withWorkerId("w-scripts")
                // the tests call a loopback server: the operator names it literally
                .withPolicy(WorkerPolicy.builder().withAllowedHosts(List.of("127.0.0.1")).build()));
  }

  @Test
  void parentCallsChildThroughTheChildsLevelTopicWithOneSlot(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      worker(fleet, 1); // one slot: the waiting parent must give it to its child
      TaskRequest parent = fleet.submit(scriptRequest(FAMILY_TS, "main", "21"));

      ResultEnvelope envelope = awaitFinal(fleet, parent.id());
      assertThat(envelope.success()).as(envelope.toString()).isTrue();
      assertThat(envelope.result().toString())
          .isEqualTo("{\"parent\":\"ts\",\"child\":{\"doubled\":42}}");

      TaskRequest child = childRequests(fleet, ComputeLevel.LOW, parent.id()).get(0);
      assertThat(child.task()).isEqualTo("child");
      assertThat(child.parentId()).isEqualTo(parent.id());
      assertThat(child.script().fileName()).isEqualTo("family.ts");
      assertThat(child.limits().compute().level()).isEqualTo(ComputeLevel.LOW);
      assertThat(child.limits().ram().toString()).isEqualTo("32MB");
      assertThat(child.limits().timeout()).isEqualTo(Duration.ofSeconds(20));
      assertThat(childRequests(fleet, ComputeLevel.MEDIUM, parent.id())).isEmpty();

      ResultEnvelope childEnvelope = awaitFinal(fleet, child.id());
      assertThat(childEnvelope.success()).isTrue();
      System.err.printf(
          "fleet sub-task (TS, one slot): parent duration_ms=%d, child duration_ms=%d%n",
          envelope.execution().durationMs(), childEnvelope.execution().durationMs());
      assertThat(childEnvelope.result().path("doubled").asInt()).isEqualTo(42);
      await()
          .atMost(BOUND)
          .until(
              () -> fleet.events(child.id()),
              e -> e.stream().anyMatch(x -> x.state() == TaskState.SUCCEEDED));
      List<LifecycleEvent> events = fleet.events(child.id());
      // queued (by the parent's worker), running (only if it ran past the running-event delay),
      // succeeded
      assertThat(events.get(0).state()).isEqualTo(TaskState.QUEUED);
      assertThat(events.get(events.size() - 1).state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(events.stream().map(LifecycleEvent::state))
          .isSubsetOf(TaskState.QUEUED, TaskState.RUNNING, TaskState.SUCCEEDED);
      assertThat(events).allMatch(e -> parent.id().equals(e.parentId()));
      assertThat(events).allMatch(e -> "low".equals(e.level()));
    }
  }

  @Test
  void failedChildRaisesInTheParentWithItsEnvelope(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      worker(fleet, 2);
      TaskRequest catches = fleet.submit(scriptRequest(FAMILY_TS, "catches"));
      TaskRequest fails = fleet.submit(scriptRequest(FAMILY_TS, "fails"));

      ResultEnvelope caught = awaitFinal(fleet, catches.id());
      assertThat(caught.success()).as(caught.toString()).isTrue();
      assertThat(caught.result().path("isTaskError").asBoolean()).isTrue();
      JsonNode childEnvelope = caught.result().path("envelope");
      assertThat(childEnvelope.path("success").asBoolean()).isFalse();
      assertThat(childEnvelope.path("error").path("error_type").asText()).isEqualTo("task_error");
      assertThat(childEnvelope.path("error").path("message").asText())
          .contains("child broke on purpose");
      assertThat(childEnvelope.path("task_id").asText()).startsWith(catches.id() + "/broken-");

      ResultEnvelope failed = awaitFinal(fleet, fails.id());
      assertThat(failed.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
      assertThat(failed.error().message()).contains("child broke on purpose");
    }
  }

  @Test
  void promiseAllRunsChildrenAtTheSameTime(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers);
        LocalHttpServer server = LocalHttpServer.start()) {
      worker(fleet, 2);
      String source =
          """
          import { task } from "@capsule-run/sdk";
          const meet = task({ name: "meet", compute: "LOW", allowedHosts: ["127.0.0.1"] },
            async (who: string) => who + " " + (await (await fetch("%s")).text()));
          export const main = task({ name: "main" }, async () =>
            await Promise.all([meet.spawn("a"), meet.spawn("b")]));
          """
              .formatted(server.url("/meet?key=fleet-pair"));
      // a child gets no more than its parent: the parent is granted the host its children call
      TaskRequest parent = fleet.submit(withLoopback(scriptRequest(source, "main")));

      ResultEnvelope envelope = awaitFinal(fleet, parent.id());
      assertThat(envelope.success()).as(envelope.toString()).isTrue();
      assertThat(envelope.result().toString()).isEqualTo("[\"a together\",\"b together\"]");
      assertThat(childRequests(fleet, ComputeLevel.LOW, parent.id())).hasSize(2);
    }
  }

  @Test
  void theParentsTimeoutBoundsItsWaitForAChild(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers);
        LocalHttpServer server = LocalHttpServer.start()) {
      worker(fleet, 2);
      String source =
          """
          import { task } from "@capsule-run/sdk";
          const hangs = task({ name: "hangs", compute: "LOW", timeout: "60s",
                               allowedHosts: ["127.0.0.1"] },
            async () => (await fetch("%s")).status);
          export const main = task({ name: "main", timeout: "2s" }, async () => await hangs());
          """
              .formatted(server.url("/hang"));
      TaskRequest parent = fleet.submit(withLoopback(scriptRequest(source, "main")));

      ResultEnvelope envelope = awaitFinal(fleet, parent.id());
      assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TIMEOUT);
      assertThat(childRequests(fleet, ComputeLevel.LOW, parent.id())).hasSize(1);
    }
  }

  @Test
  void scriptNamedByHashRunsAndItsChildrenNameTheSameHash(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      byte[] source = FAMILY_TS.getBytes(StandardCharsets.UTF_8);
      String sha = Sha256.hex(source);
      fleet.send(fleet.topics().modules(), sha, source);
      worker(fleet, 1);
      TaskRequest parent =
          fleet.submit(
              TaskRequest.of(
                  ScriptRef.byHash("family.ts", sha),
                  List.of(TextNode.valueOf("5")),
                  TaskOptions.builder().compute(Compute.of(ComputeLevel.MEDIUM)).build()));
      TaskRequest missing =
          fleet.submit(
              TaskRequest.of(
                  ScriptRef.byHash("family.ts", "ab".repeat(32)), List.of(), TaskOptions.NONE));

      ResultEnvelope envelope = awaitFinal(fleet, parent.id());
      assertThat(envelope.success()).as(envelope.toString()).isTrue();
      assertThat(envelope.result().path("child").path("doubled").asInt()).isEqualTo(10);
      TaskRequest child = childRequests(fleet, ComputeLevel.LOW, parent.id()).get(0);
      assertThat(child.script().sha256()).isEqualTo(sha);
      assertThat(child.script().source()).isNull();
      ResultEnvelope failed = awaitFinal(fleet, missing.id());
      assertThat(failed.error().errorType()).isEqualTo(ErrorType.INVALID_MODULE);
      assertThat(failed.error().message()).contains("not on the modules topic");
    }
  }

  @Test
  void malformedScriptRequestIsDeadLetteredWithTheReason(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      worker(fleet, 1);
      String topic = fleet.topics().tasks(ComputeLevel.MEDIUM);
      fleet.send(
          topic,
          "bad-script",
          "{\"id\":\"bad-script\",\"script\":{\"file_name\":\"task.rb\",\"source\":\"1\"}}"
              .getBytes(StandardCharsets.UTF_8));
      fleet.send(
          topic,
          "both",
          ("{\"id\":\"both\",\"module\":{\"inline\":\"AGFzbQEAAAA=\"},"
                  + "\"script\":{\"file_name\":\"t.py\",\"source\":\"1\"}}")
              .getBytes(StandardCharsets.UTF_8));
      await().atMost(BOUND).until(fleet::deadLetters, l -> l.size() == 2);
      List<DeadLetter> letters = fleet.deadLetters();
      assertThat(letters).allMatch(l -> l.reason().equals(DeadLetter.UNREADABLE));
      assertThat(letters.get(0).message()).contains("must end with .py, .js, .mjs, .ts or .mts");
      assertThat(letters.get(1).message()).contains("a module or a script, not both");
    }
  }

  @Test
  @Tag("slow")
  void pythonParentCallsAChildOnTheFleet(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      worker(fleet, 1);
      String source =
          """
          from capsule import task

          @task(name="square", compute="LOW")
          def square(n):
              return n * n

          @task(name="main", compute="MEDIUM", timeout="5m")
          async def main():
              import asyncio  # here, not at the top: the LOW children need not pay for it

              return await asyncio.gather(square(3), square(4))
          """;
      TaskRequest parent =
          fleet.submit(
              TaskRequest.of(
                  ScriptRef.inline("squares.py", source),
                  List.of(),
                  TaskOptions.builder().compute(Compute.of(ComputeLevel.MEDIUM)).build()));
      ResultEnvelope envelope =
          await()
              .atMost(Duration.ofMinutes(5))
              .pollInterval(Duration.ofSeconds(1))
              .until(() -> fleet.results(parent.id()), r -> !r.isEmpty())
              .get(0);
      assertThat(envelope.success()).as(envelope.toString()).isTrue();
      assertThat(envelope.result().toString()).isEqualTo("[9,16]");
      assertThat(childRequests(fleet, ComputeLevel.LOW, parent.id())).hasSize(2);
    }
  }

  @Test
  void aParentThatFailsCancelsTheChildItLeftRunning(@BootstrapServers String servers) {
    String source =
        """
        import { task } from "@capsule-run/sdk";

        const slow = task({ name: "slow", compute: "LOW", timeout: "80s" }, async () => {
          await new Promise((resolve) => setTimeout(resolve, 70000));
          return "woke up";
        });

        export const main = task({ name: "main", compute: "MEDIUM", maxRetries: 0 }, async () => {
          slow.spawn();
          await new Promise((resolve) => setTimeout(resolve, 1500));
          throw new Error("parent gives up");
        });
        """;
    try (TestFleet fleet = new TestFleet(servers)) {
      worker(fleet, 2);
      TaskRequest parent = fleet.submit(scriptRequest(source, "main"));

      ResultEnvelope envelope = awaitFinal(fleet, parent.id());
      assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
      List<TaskRequest> children = childRequests(fleet, ComputeLevel.LOW, parent.id());
      assertThat(children).hasSize(1);
      String child = children.get(0).id();
      // long before its 70 s sleep ends, it is cancelled and its worker stops it
      await()
          .atMost(Duration.ofSeconds(40))
          .until(
              () -> fleet.events(child),
              e ->
                  e.stream().anyMatch(x -> x.state() == TaskState.CANCELLED && x.worker() != null));
      List<LifecycleEvent> events = fleet.events(child);
      assertThat(events.get(events.size() - 1).state()).isEqualTo(TaskState.CANCELLED);
      assertThat(events).allMatch(e -> parent.id().equals(e.parentId()));
      assertThat(fleet.results(child)).isEmpty();
    }
  }

  private static List<TaskRequest> childRequests(
      TestFleet fleet, ComputeLevel level, String parentId) {
    return fleet.read(fleet.topics().tasks(level), TaskRequest.class).stream()
        .filter(r -> parentId.equals(r.parentId()))
        .collect(Collectors.toList());
  }
}
