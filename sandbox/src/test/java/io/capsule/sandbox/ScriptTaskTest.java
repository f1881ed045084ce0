package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.LocalHttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** capsule-run's README examples as written, on the real interpreters (fetched on first use). */
class ScriptTaskTest {
  private static final Path CACHE = Path.of(System.getProperty("user.home"), ".cache", "capsule");
  @TempDir static Path files;
  private static LocalHttpServer server;
  private static Sandbox sandbox;

  @BeforeAll
  static void start() throws IOException {
    server = LocalHttpServer.start();
    Files.createDirectories(files.resolve("data"));
    Files.createDirectories(files.resolve("output"));
    Files.writeString(files.resolve("data/input.txt"), "from the host");
    sandbox =
        Sandbox.create(
            SandboxConfig.builder()
                .withCacheDir(CACHE)
                .withFilesRoot(files)
                .withEnvironment(Map.of("API_KEY", "k-123"))
                .build());
  }

  @AfterAll
  static void stop() {
    sandbox.close();
    server.close();
  }

  private ResultEnvelope run(String name, String source, String... args) throws IOException {
    Path file = files.resolve(name);
    Files.writeString(file, source);
    TaskFile task = TaskFile.read(file, CACHE);
    TaskOptions options = task.bakedOptions().toBuilder().name("main").build();
    List<com.fasterxml.jackson.databind.JsonNode> argv =
        java.util.Arrays.stream(args)
            .map(a -> (com.fasterxml.jackson.databind.JsonNode) TextNode.valueOf(a))
            .toList();
    return sandbox.run(sandbox.prepare(task), new TaskCall(options, argv));
  }

  @Test
  void helloTsReturnsItsStringUnderLowCompute() throws IOException {
    var envelope =
        run(
            "hello.ts",
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({
              name: "main",
              compute: "LOW",
              ram: "64MB"
            }, (): string => {
              return "Hello from Capsule!";
            });
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asText()).isEqualTo("Hello from Capsule!");
  }

  @Test
  void cliArgumentsReachMainAndTaskCallsRunInTheirOwnSandbox() throws IOException {
    var envelope =
        run(
            "sub.ts",
            """
            import { task } from "@capsule-run/sdk";

            export const analyzeData = task({
              name: "analyze_data", compute: "MEDIUM", ram: "512MB", timeout: "30s", maxRetries: 1
            }, (dataset: number[]): object => {
              return { processed: dataset.length, status: "complete" };
            });

            export const main = task({ name: "main", compute: "HIGH" }, (who: string) => {
              return { who, first: analyzeData([1, 2, 3]) };
            });
            """,
            "me");
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString())
        .isEqualTo("{\"who\":\"me\",\"first\":{\"processed\":3,\"status\":\"complete\"}}");
  }

  @Test
  void thrownErrorBecomesTaskErrorWithItsText() throws IOException {
    var envelope =
        run(
            "boom.js",
            """
            import { task } from "@capsule-run/sdk";
            export const main = task({ name: "main" }, () => { throw new Error("boom 42"); });
            """);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message()).contains("boom 42");
  }

  @Test
  void infiniteLoopUnderLowRunsOutOfFuel() throws IOException {
    var envelope =
        run(
            "spin.ts",
            """
            import { task } from "@capsule-run/sdk";
            export const main = task({ name: "main", compute: "LOW" }, () => { while (true) {} });
            """);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.FUEL_EXHAUSTED);
  }

  @Test
  void infiniteLoopWithTimeoutStopsInTime() throws IOException {
    long start = System.nanoTime();
    var envelope =
        run(
            "slow.ts",
            """
            import { task } from "@capsule-run/sdk";
            export const main = task({ name: "main", compute: "HIGH", timeout: "2s" }, () => { for (;;) {} });
            """);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(4_000);
  }

  @Test
  void filesAndEnvironmentFollowTheOptions() throws IOException {
    var envelope =
        run(
            "files.ts",
            """
            import { task } from "@capsule-run/sdk";
            import fs from "fs/promises";

            export const main = task({
                name: "main",
                allowedFiles: [
                    { path: "./data", mode: "read-only" },
                    { path: "./output", mode: "read-write" },
                ],
                envVariables: ["API_KEY"]
            }, async () => {
                const content = await fs.readFile("./data/input.txt", "utf8");
                await fs.writeFile("./output/result.txt", content);
                let denied = "no";
                try { await fs.writeFile("./data/x.txt", "x"); } catch (e) { denied = "yes"; }
                return { content, denied, key: process.env.API_KEY };
            });
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString())
        .isEqualTo("{\"content\":\"from the host\",\"denied\":\"yes\",\"key\":\"k-123\"}");
    assertThat(Files.readString(files.resolve("output/result.txt"))).isEqualTo("from the host");
  }

  @Test
  void fetchReachesAllowedHostAndDeniedHostIsANetworkError() throws IOException {
    String url = server.url("/hello");
    var envelope =
        run(
            "net.ts",
            """
            import { task } from "@capsule-run/sdk";
            export const main = task({ name: "main", allowedHosts: ["127.0.0.1"] }, async () => {
                const response = await fetch("%s");
                let denied = "";
                try { await fetch("http://example.com/"); } catch (e) { denied = e.message; }
                return { status: response.status, text: await response.text(), denied };
            });
            """
                .formatted(url));
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().path("text").asText()).isEqualTo(LocalHttpServer.HELLO);
    assertThat(envelope.result().path("denied").asText()).contains("fetch failed");
    assertThat(envelope.execution().hostRequests()).hasSize(2);
  }
}
