package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.OperatorCeiling.OverCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.testing.LocalHttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's ceiling bounds every task of a tree, sub-tasks included, and the tree is bounded:
 * hostile scripts (JavaScript and Python) on the real interpreters, whose sub-tasks ask for the
 * host's secrets and every host, spawn in a loop or recursively, or leave children running.
 */
class SubTaskCeilingTest {
  private static final String AWS_SECRET = "aws-secret-value-93f1";
  private static final String JAAS_SECRET = "jaas-secret-value-77c2";
  private static final Map<String, String> HOST_ENV =
      Map.of(
          "AWS_SECRET_ACCESS_KEY", AWS_SECRET,
          "CAPSULE_KAFKA_SASL_JAAS_CONFIG", JAAS_SECRET);

  /** {@code capsule run agent.js --env NOTHING --allow-host localhost}, as a ceiling. */
  private static final OperatorCeiling ENV_NOTHING =
      new OperatorCeiling(
          null,
          null,
          null,
          null,
          List.of(),
          List.of("localhost"),
          List.of("NOTHING"),
          OverCeiling.CLAMP);

  @TempDir static Path files;
  private static LocalHttpServer server;
  private static Sandbox unbounded;

  @BeforeAll
  static void start() {
    server = LocalHttpServer.start();
    unbounded = sandbox(OperatorCeiling.NONE, SandboxConfig.DEFAULT_MAX_SUB_TASKS, 4);
  }

  @AfterAll
  static void stop() {
    unbounded.close();
    server.close();
  }

  @BeforeEach
  void forgetRequests() {
    server.clear();
  }

  private static Sandbox sandbox(OperatorCeiling ceiling, int maxTasks, int maxDepth) {
    return Sandbox.create(
        SandboxConfig.builder()
            .withCacheDir(ScriptSandbox.CACHE)
            .withFilesRoot(files)
            .withEnvironment(HOST_ENV)
            .withCeiling(ceiling)
            .withSubTaskLimits(maxTasks, maxDepth)
            // the local server is on loopback: an internal host only the operator opens
            .withHttp(HttpConfig.builder().withPrivateHosts(List.of("127.0.0.1")).build())
            .build());
  }

  private static ResultEnvelope run(Sandbox sandbox, String fileName, String source)
      throws IOException {
    Files.writeString(files.resolve(fileName), source);
    TaskFile file = TaskFile.read(files.resolve(fileName), ScriptSandbox.CACHE);
    return sandbox.run(
        sandbox.prepare(file), new TaskCall(file.script().optionsOf("main"), List.of()));
  }

  private static final String JS_PEEK =
      """
      import { task } from "@capsule-run/sdk";
      const peek = task({ name: "peek",
          envVariables: ["AWS_SECRET_ACCESS_KEY", "CAPSULE_KAFKA_SASL_JAAS_CONFIG"],
          allowedHosts: ["*"] }, async () => {
        let loopback = "reached";
        try { await fetch("%s"); } catch (e) { loopback = "denied"; }
        return { aws: process.env.AWS_SECRET_ACCESS_KEY ?? null,
                 jaas: process.env.CAPSULE_KAFKA_SASL_JAAS_CONFIG ?? null, loopback };
      });
      export const main = task({ name: "main" }, async () => {
        try { return await peek(); } catch (e) { return { refused: e.envelope.error }; }
      });
      """;

  private static final String PY_PEEK =
      """
      import os
      import urllib.request
      from capsule import task, TaskError

      @task(name="peek", env_variables=["AWS_SECRET_ACCESS_KEY", "CAPSULE_KAFKA_SASL_JAAS_CONFIG"],
            allowed_hosts=["*"])
      def peek():
          loopback = "reached"
          try:
              urllib.request.urlopen("%s", timeout=10).read()
          except Exception:
              loopback = "denied"
          return {"aws": os.environ.get("AWS_SECRET_ACCESS_KEY"),
                  "jaas": os.environ.get("CAPSULE_KAFKA_SASL_JAAS_CONFIG"), "loopback": loopback}

      @task(name="main")
      def main():
          try:
              return peek()
          except TaskError as e:
              return {"refused": e.envelope["error"]}
      """;

  private void assertSawNeitherSecretNorHost(ResultEnvelope envelope) {
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().path("aws").isNull()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().path("jaas").isNull()).isTrue();
    assertThat(envelope.result().path("loopback").asText()).isEqualTo("denied");
    assertThat(server.received()).isEmpty();
    assertNoSecretIn(envelope);
  }

  private static void assertNoSecretIn(ResultEnvelope envelope) {
    assertThat(CapsuleJson.write(envelope)).doesNotContain(AWS_SECRET).doesNotContain(JAAS_SECRET);
  }

  @Test
  void aJavaScriptSubTaskDeclaringSecretsAndEveryHostSeesNeitherUnderTheCeiling()
      throws IOException {
    try (Sandbox sandbox = sandbox(ENV_NOTHING, 64, 4)) {
      ResultEnvelope envelope =
          run(sandbox, "agent.js", JS_PEEK.formatted(server.url("/hello?key=js-ceiling")));
      assertSawNeitherSecretNorHost(envelope);
    }
  }

  @Test
  void withoutAnOperatorGrantTheDeclaredOptionsApplyAsInCapsuleRun() throws IOException {
    ResultEnvelope envelope =
        run(unbounded, "agent-free.js", JS_PEEK.formatted(server.url("/hello?key=js-free")));
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().path("aws").asText()).isEqualTo(AWS_SECRET);
    assertThat(envelope.result().path("loopback").asText()).isEqualTo("reached");
  }

  @Test
  void aRejectingCeilingFailsTheWideningSubTaskWithPermissionDenied() throws IOException {
    try (Sandbox sandbox = sandbox(ENV_NOTHING.withOverCeiling(OverCeiling.REJECT), 64, 4)) {
      ResultEnvelope envelope =
          run(sandbox, "agent-reject.js", JS_PEEK.formatted(server.url("/hello?key=js-reject")));
      assertThat(envelope.success()).as(envelope.toString()).isTrue();
      var refused = envelope.result().path("refused");
      assertThat(refused.path("error_type").asText())
          .isEqualTo(ErrorType.PERMISSION_DENIED.wireName());
      assertThat(refused.path("message").asText()).contains("allowed_hosts '*'");
      assertThat(server.received()).isEmpty();
      assertNoSecretIn(envelope);
    }
  }

  @Test
  void aPythonSubTaskDeclaringSecretsAndEveryHostSeesNeitherUnderTheCeiling() throws IOException {
    try (Sandbox sandbox = sandbox(ENV_NOTHING, 64, 4)) {
      ResultEnvelope envelope =
          run(sandbox, "agent.py", PY_PEEK.formatted(server.url("/hello?key=py-ceiling")));
      assertSawNeitherSecretNorHost(envelope);
    }
  }

  @Test
  void aSpawnLoopStopsAtTheTreesSubTaskCountWithInvalidRequest() throws IOException {
    try (Sandbox sandbox = sandbox(OperatorCeiling.NONE, 5, 4)) {
      ResultEnvelope envelope =
          run(
              sandbox,
              "bomb.js",
              """
              import { task } from "@capsule-run/sdk";
              const leaf = task({ name: "leaf" }, (i) => i);
              export const main = task({ name: "main" }, async () => {
                const all = [];
                for (let i = 0; i < 1000; i++) all.push(leaf.spawn(i));
                return (await Promise.all(all)).length;
              });
              """);
      assertThat(envelope.success()).as(envelope.toString()).isFalse();
      assertThat(envelope.error().errorType()).isEqualTo(ErrorType.INVALID_REQUEST);
      assertThat(envelope.error().message()).contains("at most 5 sub-tasks");
    }
  }

  @Test
  void recursionStopsAtTheTreesDepthWithInvalidRequest() throws IOException {
    try (Sandbox sandbox = sandbox(OperatorCeiling.NONE, 64, 2)) {
      ResultEnvelope envelope =
          run(
              sandbox,
              "recurse.js",
              """
              import { task } from "@capsule-run/sdk";
              const dive = task({ name: "dive" }, (n) => dive(n + 1));
              export const main = task({ name: "main" }, () => dive(1));
              """);
      assertThat(envelope.success()).as(envelope.toString()).isFalse();
      assertThat(envelope.error().message())
          .contains("invalid_request")
          .contains("sub-task depth 3 exceeds the operator's limit of 2");
    }
  }

  @Test
  void subTasksDrawTheirFuelFromTheRootsBudget() throws IOException {
    ResultEnvelope envelope =
        run(
            unbounded,
            "greedy.js",
            """
            import { task } from "@capsule-run/sdk";
            const spin = task({ name: "spin", compute: "HIGH", timeout: "60s" }, () => {
              let x = 0;
              while (true) { x++; }
            });
            export const main = task({ name: "main", compute: 5000000 }, () => {
              try { spin(); return "spun"; } catch (e) { return e.envelope.error; }
            });
            """);
    // the child's HIGH budget is not the tree's: it spends the root's 5,000,000 units, and the
    // root, whose own refills come from the same pool, finds nothing left (no 60 s spin)
    assertThat(envelope.success()).as(envelope.toString()).isFalse();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.FUEL_EXHAUSTED);
    assertThat(envelope.execution().fuelConsumed()).isLessThanOrEqualTo(5_000_000L);
  }

  private static final String WRITER =
      """
      import { task } from "@capsule-run/sdk";
      import fs from "fs";
      const writer = task({ name: "writer", allowedFiles: ["./side"], timeout: "60s",
          compute: "HIGH" }, () => {
        while (true) {
          try { fs.readFileSync("./side/go.txt"); break; } catch (e) { }
        }
        fs.writeFileSync("./side/done.txt", "the child outlived its parent");
        return "written";
      });
      export const main = task({ name: "main", compute: "HIGH" }, async () => {
        %s
      });
      """;

  @Test
  void anUnawaitedChildIsCancelledWhenTheRootEnds() throws IOException {
    Path side = Files.createDirectories(files.resolve("side"));
    Files.deleteIfExists(side.resolve("go.txt"));
    Files.deleteIfExists(side.resolve("done.txt"));
    ResultEnvelope envelope =
        run(unbounded, "orphan.js", WRITER.formatted("writer.spawn(); return \"left\";"));
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    // the handshake: a child still running would now find go.txt and write done.txt at once
    Files.writeString(side.resolve("go.txt"), "go");
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(() -> !Files.exists(side.resolve("done.txt")));
  }

  @Test
  void anAwaitedChildCompletesItsSideEffect() throws IOException {
    Path side = Files.createDirectories(files.resolve("side"));
    Files.writeString(side.resolve("go.txt"), "go");
    Files.deleteIfExists(side.resolve("done.txt"));
    ResultEnvelope envelope =
        run(unbounded, "awaited.js", WRITER.formatted("return await writer.spawn();"));
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asText()).isEqualTo("written");
    assertThat(side.resolve("done.txt")).exists();
  }

  @Test
  void theDefaultsAre64SubTasksFourLevelsDeep() {
    SandboxConfig defaults = SandboxConfig.defaults();
    assertThat(defaults.maxSubTasks()).isEqualTo(64);
    assertThat(defaults.maxSubTaskDepth()).isEqualTo(4);
    assertThat(defaults.ceiling()).isEqualTo(OperatorCeiling.NONE);
  }
}
