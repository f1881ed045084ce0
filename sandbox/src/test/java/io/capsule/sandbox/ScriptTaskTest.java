package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.InvalidModuleException;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * capsule-run's README examples as written, in TypeScript and plain JavaScript ({@code .js}, {@code
 * .mjs}), on the real interpreters (fetched on first use).
 */
class ScriptTaskTest {
  private static final long LOW_FUEL = 100_000_000L;
  @TempDir static Path files;
  private static LocalHttpServer server;
  private static ScriptSandbox scripts;
  private static Sandbox sandbox;

  @BeforeAll
  static void start() throws IOException {
    server = LocalHttpServer.start();
    Files.createDirectories(files.resolve("data"));
    Files.createDirectories(files.resolve("output"));
    Files.writeString(files.resolve("data/input.txt"), "from the host");
    scripts = new ScriptSandbox(files, Map.of("API_KEY", "k-123"));
    sandbox = scripts.sandbox();
  }

  @AfterAll
  static void stop() {
    scripts.close();
    server.close();
  }

  private ResultEnvelope run(String name, String source, String... args) throws IOException {
    return run(name, source, List.of(args));
  }

  private ResultEnvelope run(String name, String source, List<String> args) throws IOException {
    List<JsonNode> argv = args.stream().map(a -> (JsonNode) TextNode.valueOf(a)).toList();
    return scripts.run(name, source, "main", argv);
  }

  /** Runs the TypeScript form ({@code ext} "ts") or the plain JavaScript form (js, mjs). */
  private ResultEnvelope runForm(
      String ext, String name, String typescript, String javascript, String... args)
      throws IOException {
    return run(name + "." + ext, ext.equals("ts") ? typescript : javascript, args);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void helloReturnsItsStringUnderLowCompute(String ext) throws IOException {
    var envelope =
        runForm(
            ext,
            "hello",
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({
              name: "main",
              compute: "LOW",
              ram: "64MB"
            }, (): string => {
              return "Hello from Capsule!";
            });
            """,
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({
              name: "main",
              compute: "LOW",
              ram: "64MB"
            }, () => {
              return "Hello from Capsule!";
            });
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asText()).isEqualTo("Hello from Capsule!");
    assertThat(envelope.execution().fuelConsumed()).isPositive().isLessThan(LOW_FUEL);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void mainEvaluatesTheCodeItIsGiven(String ext) throws IOException {
    var envelope =
        runForm(
            ext,
            "capsule",
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({
              name: "main",
              compute: "LOW",
              ram: "64MB"
            }, (code: string): string => {
              return eval(code);
            });
            """,
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({
              name: "main",
              compute: "LOW",
              ram: "64MB"
            }, (code) => {
              return eval(code);
            });
            """,
            "[1, 2, 3].map((x) => x * 7).join('-')");
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asText()).isEqualTo("7-14-21");
  }

  /** capsule-run's examples/javascript/mastra-agent/capsule.ts: the code arrives in argv. */
  @Test
  void processArgvCarriesTheArgumentsForNewFunction() throws IOException {
    String source =
        """
        import { task } from "@capsule-run/sdk";

        export const main = task({
          name: "main",
          compute: "LOW",
          ram: "64MB",
          timeout: "10s"
        }, () => {
          const code = process.argv[0];

          if (!code) {
            throw new Error("No code provided. Usage: capsule run capsule.ts \\"<code>\\"");
          }

          const fn = new Function(code);
          return fn();
        });
        """;
    assertThat(run("mastra.ts", source, "return 6 * 7").result().asInt()).isEqualTo(42);
    var missing = run("mastra.ts", source);
    assertThat(missing.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(missing.error().message()).contains("No code provided");
  }

  /**
   * TypeScript beyond annotations: the TypeScript compiler turns it into JavaScript (class member
   * modifiers and fields, parameter properties, enums, {@code x!}, generic calls, {@code as const},
   * {@code import type}, interfaces and type aliases).
   */
  @Test
  void typeScriptBeyondAnnotationsRuns() throws IOException {
    String source =
        """
        import { task } from "@capsule-run/sdk";
        import type { Nothing } from "./types";

        type Mode = "fast" | "slow";
        export interface Options { mode?: Mode; limit: number }
        enum Color { Red = "red", Green = "green" }

        class Counter {
          private count: number = 0;
          constructor(public readonly label: string) {}
          add(n: number = 1): this { this.count += n; return this; }
          get value(): number { return this.count; }
        }

        function pick<T>(items: T[], n: number): T[] { return items.slice(0, n); }
        const LEVELS = ["LOW", "MEDIUM"] as const;

        export const main = task({ name: "main", compute: "LOW", ram: "64MB" },
          (input?: string): Record<string, unknown> => {
            const opts: Options = { limit: 2 };
            const c = new Counter("c").add(2).add();
            const maybe: string | undefined = input ?? "none";
            const items = pick<string>(["a", "b", "c"], opts.limit);
            return { count: c.value, label: c.label, len: maybe!.length, items,
                     levels: [...LEVELS], color: Color.Green, mode: opts.mode ?? "fast" };
          });
        """;
    var envelope = run("typed.ts", source, "hey");
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result())
        .isEqualTo(
            CapsuleJson.readTree(
                "{\"count\":3,\"label\":\"c\",\"len\":3,\"items\":[\"a\",\"b\"],"
                    + "\"levels\":[\"LOW\",\"MEDIUM\"],\"color\":\"green\",\"mode\":\"fast\"}"));
  }

  @Test
  void aTypeScriptSyntaxErrorIsAnInvalidModuleNamingTheLine() {
    assertThatThrownBy(
            () ->
                run(
                    "broken.ts",
                    """
                    import { task } from "@capsule-run/sdk";

                    export const main = task({ name: "main" }, (): string => {
                      return "unclosed;
                    });
                    """))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageStartingWith("broken.ts:4: SyntaxError: ");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void aTaskCallingAnotherTaskGetsItsResult(String ext) throws IOException {
    var envelope =
        runForm(
            ext,
            "analyze",
            """
            import { task } from "@capsule-run/sdk";

            export const analyzeData = task({
              name: "analyze_data",
              compute: "MEDIUM",
              ram: "512MB",
              timeout: "30s",
              maxRetries: 1
            }, (dataset: number[]): object => {
              // Your code runs safely in a Wasm sandbox
              return { processed: dataset.length, status: "complete" };
            });

            export const main = task({
                name: "main",
                compute: "HIGH"
            }, () => {
              return analyzeData([1, 2, 3, 4, 5]);
            });
            """,
            """
            import { task } from "@capsule-run/sdk";

            export const analyzeData = task({
              name: "analyze_data",
              compute: "MEDIUM",
              ram: "512MB",
              timeout: "30s",
              maxRetries: 1
            }, (dataset) => {
              return { processed: dataset.length, status: "complete" };
            });

            export const main = task({
                name: "main",
                compute: "HIGH"
            }, () => {
              return analyzeData([1, 2, 3, 4, 5]);
            });
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString()).isEqualTo("{\"processed\":5,\"status\":\"complete\"}");
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
              globalThis.seen = (globalThis.seen || 0) + 1;
              return { processed: dataset.length, status: "complete", seen: globalThis.seen };
            });

            export const main = task({ name: "main", compute: "HIGH" }, async (who: string) => {
              globalThis.seen = 10;
              return { who, argv: process.argv, first: await analyzeData([1, 2, 3]) };
            });
            """,
            "me");
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString())
        .isEqualTo(
            "{\"who\":\"me\",\"argv\":[\"me\"],"
                + "\"first\":{\"processed\":3,\"status\":\"complete\",\"seen\":1}}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void thrownErrorBecomesTaskErrorWithItsText(String ext) throws IOException {
    String source =
        """
        import { task } from "@capsule-run/sdk";
        export const main = task({ name: "main" }, () => { throw new Error("boom 42"); });
        """;
    var envelope = runForm(ext, "boom", source, source);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message()).contains("Error: boom 42");
  }

  @Test
  void promiseAllRunsSubTasksAtTheSameTime() throws IOException {
    var envelope =
        run(
            "parallel.ts",
            """
            import { task } from "@capsule-run/sdk";

            const meet = task({ name: "meet", allowedHosts: ["127.0.0.1"] }, async (who: string) => {
              const response = await fetch("%s");
              return who + " " + (await response.text());
            });

            export const main = task({ name: "main" }, async () => {
              return await Promise.all([meet.spawn("a"), meet.spawn("b")]);
            });
            """
                .formatted(server.url("/meet?key=js-parallel")));
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString()).isEqualTo("[\"a together\",\"b together\"]");
  }

  @Test
  void aTimerFiresWhileASpawnedSubTaskStillRuns() throws IOException {
    // the event loop waits for the next sub-task or the next timer, whichever comes first: the
    // timer wins the race although the host was waiting on the sub-task
    var envelope =
        run(
            "race.ts",
            """
            import { task } from "@capsule-run/sdk";
            const slow = task({ name: "slow", timeout: "30s" }, async () => {
              await new Promise((resolve) => setTimeout(resolve, 4000));
              return "sub-task first";
            });
            export const main = task({ name: "main" }, async () => {
              const timer = new Promise((resolve) => setTimeout(() => resolve("timer first"), 200));
              return await Promise.race([slow.spawn(), timer]);
            });
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asText()).isEqualTo("timer first");
  }

  @Test
  void failedSubTaskRejectsWithItsEnvelope() throws IOException {
    var envelope =
        run(
            "subfail.js",
            """
            import { task, TaskError } from "@capsule-run/sdk";
            const fail = task({ name: "fail", compute: "LOW" }, () => { throw new Error("child broke"); });
            const ok = task({ name: "ok" }, (n) => n * 2);
            export const main = task({ name: "main" }, async () => {
              try { await fail(); return "no error"; } catch (e) {
                return { isTaskError: e instanceof TaskError, type: e.envelope.error.error_type,
                         message: e.envelope.error.message, then: await ok(21) };
              }
            });
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().path("isTaskError").asBoolean()).isTrue();
    assertThat(envelope.result().path("type").asText()).isEqualTo("task_error");
    assertThat(envelope.result().path("message").asText()).contains("child broke");
    assertThat(envelope.result().path("then").asInt()).isEqualTo(42);
  }

  @Test
  void aPromiseThatCanNeverSettleIsATaskError() throws IOException {
    var envelope =
        run(
            "stuck.js",
            """
            import { task } from "@capsule-run/sdk";
            export const main = task({ name: "main" }, () => new Promise(() => {}));
            """);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message()).contains("never settled");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void infiniteLoopUnderLowRunsOutOfFuel(String ext) throws IOException {
    var envelope =
        runForm(
            ext,
            "spin",
            """
            import { task } from "@capsule-run/sdk";
            export const main = task({ name: "main", compute: "LOW" }, (): never => { while (true) {} });
            """,
            """
            import { task } from "@capsule-run/sdk";
            export const main = task({ name: "main", compute: "LOW" }, () => { while (true) {} });
            """);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.FUEL_EXHAUSTED);
    assertThat(envelope.execution().fuelConsumed()).isEqualTo(LOW_FUEL);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void infiniteLoopWithTimeoutStopsInTime(String ext) throws IOException {
    String source =
        """
        import { task } from "@capsule-run/sdk";
        export const main = task({ name: "main", compute: "HIGH", timeout: "2s" }, () => { for (;;) {} });
        """;
    long start = System.nanoTime();
    var envelope = runForm(ext, "slow", source, source);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat((System.nanoTime() - start) / 1_000_000).isBetween(1_900L, 4_000L);
  }

  @Test
  void sleepingPastTheTimeoutStopsInTime() throws IOException {
    long start = System.nanoTime();
    var envelope =
        run(
            "limits.ts",
            """
            import { task } from "@capsule-run/sdk";

            export const main = task(
              {
                name: "main",
                timeout: "2s",
                compute: "HIGH"
              },
              async (): Promise<string> => {
                await new Promise(resolve => setTimeout(resolve, 10000));
                return "should have timed out";
              }
            );
            """);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat((System.nanoTime() - start) / 1_000_000).isBetween(1_900L, 4_000L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void timersFireInOrderAfterTheirDelay(String ext) throws IOException {
    String source =
        """
        import { task } from "@capsule-run/sdk";
        export const main = task({ name: "main" }, async () => {
          const order = [];
          const start = Date.now();
          const done = new Promise((resolve) => {
            setTimeout(() => order.push("a"), 20);
            const cancelled = setTimeout(() => order.push("never"), 10);
            clearTimeout(cancelled);
            setTimeout(() => {
              order.push("b");
              setTimeout(() => { order.push("c"); resolve(); }, 0);
            }, 20);
          });
          let ticks = 0;
          const ticked = new Promise((resolve) => {
            const id = setInterval(() => { if (++ticks === 3) { clearInterval(id); resolve(); } }, 5);
          });
          await Promise.all([done, ticked]);
          setInterval(() => {}, 1); // left running: the task ends with its result anyway
          return { order, ticks, waited: Date.now() - start >= 20 };
        });
        """;
    var envelope = runForm(ext, "timers", source, source);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString())
        .isEqualTo("{\"order\":[\"a\",\"b\",\"c\"],\"ticks\":3,\"waited\":true}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void filesAndEnvironmentFollowTheOptions(String ext) throws IOException {
    String source =
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
            await fs.writeFile("./output/result-%s.txt", content);
            let denied = "no";
            try { await fs.writeFile("./data/x.txt", "x"); } catch (e) { denied = "yes"; }
            return { content, denied, key: process.env.API_KEY };
        });
        """
            .formatted(ext);
    var envelope = runForm(ext, "files", source, source);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString())
        .isEqualTo("{\"content\":\"from the host\",\"denied\":\"yes\",\"key\":\"k-123\"}");
    assertThat(Files.readString(files.resolve("output/result-" + ext + ".txt")))
        .isEqualTo("from the host");
    assertThat(files.resolve("data/x.txt")).doesNotExist();
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void readmeFileAccessExampleWritesThroughASubTask(String ext) throws IOException {
    String source =
        """
        import { task } from "@capsule-run/sdk";
        import fs from "fs/promises";

        export const restrictedWriter = task({
            name: "restricted_writer",
            allowedFiles: ["./output"]
        }, async () => {
            await fs.writeFile("./output/readme-%s.txt", "result");
        });

        export const main = task({ name: "main", allowedFiles: ["./data"] }, async () => {
            await restrictedWriter();
            return await fs.readFile("./data/input.txt", "utf8");
        });
        """
            .formatted(ext);
    var envelope = runForm(ext, "readme-files", source, source);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asText()).isEqualTo("from the host");
    assertThat(Files.readString(files.resolve("output/readme-" + ext + ".txt")))
        .isEqualTo("result");
  }

  /**
   * capsule-run's examples/javascript/file-access, with {@code allowedFiles} on main: there main
   * sees the whole project by default, here a task sees only what it is granted.
   */
  @Test
  void sdkFilesHelpersReadAndWriteInAllowedDirectories() throws IOException {
    var envelope =
        run(
            "file-access.ts",
            """
            import { task, files } from "@capsule-run/sdk";

            export const restrictedWriter = task({
                name: "restricted_writer",
                allowedFiles: ["./output"]
            }, async (content: string) => {
                await files.writeText("./output/output.txt", content);
                return { written: true };
            });

            export const main = task({ name: "main", allowedFiles: ["./data"] }, async () => {
                const content = await files.readText("./data/input.txt");
                const lines = content.trim().split("\\n");
                const result = restrictedWriter(`Processed ${lines.length} lines`);
                return { inputLines: lines.length, firstLine: lines[0], writeResult: result };
            });
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString())
        .isEqualTo(
            "{\"inputLines\":1,\"firstLine\":\"from the host\",\"writeResult\":{\"written\":true}}");
    assertThat(Files.readString(files.resolve("output/output.txt"))).isEqualTo("Processed 1 lines");
  }

  /** A granted file too large to hold is refused before the host reads it, not read whole. */
  @Test
  void aGrantedFileLargerThanAReadMayHoldIsRefusedEfbig() throws IOException {
    Path big = Files.createDirectories(files.resolve("big")).resolve("huge.bin");
    try (var file = new java.io.RandomAccessFile(big.toFile(), "rw")) {
      file.setLength((16L << 20) + 1);
    }
    var envelope =
        run(
            "big-read.js",
            """
            import { task } from "@capsule-run/sdk";
            import fs from "fs";

            export const main = task({ name: "main", allowedFiles: ["./big"] }, () => {
                try { return fs.readFileSync("./big/huge.bin").length; }
                catch (e) { return e.message; }
            });
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asText()).startsWith("EFBIG: './big/huge.bin' is larger");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void readmeEnvironmentExampleSeesOnlyAllowedVariables(String ext) throws IOException {
    String source =
        """
        import { task } from "@capsule-run/sdk";

        export const main = task({
            name: "main",
            envVariables: ["API_KEY"]
        }, () => {
            const apiKey = process.env.API_KEY;
            return { apiKeySet: apiKey !== undefined, other: process.env.OTHER_SECRET === undefined };
        });
        """;
    var envelope = runForm(ext, "env", source, source);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString()).isEqualTo("{\"apiKeySet\":true,\"other\":true}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void fetchReachesAllowedHostAndDeniedHostIsANetworkError(String ext) throws IOException {
    String source =
        """
        import { task } from "@capsule-run/sdk";
        export const main = task({ name: "main", allowedHosts: ["127.0.0.1"] }, async () => {
            const response = await fetch("%s");
            let denied = "";
            let typeError = false;
            try { await fetch("http://example.com/"); } catch (e) {
              denied = e.message;
              typeError = e instanceof TypeError;
            }
            return { status: response.status, text: await response.text(), denied, typeError };
        });
        """
            .formatted(server.url("/hello"));
    var envelope = runForm(ext, "net", source, source);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().path("text").asText()).isEqualTo(LocalHttpServer.HELLO);
    assertThat(envelope.result().path("denied").asText()).contains("fetch failed");
    assertThat(envelope.result().path("typeError").asBoolean()).isTrue();
    assertThat(envelope.execution().hostRequests()).hasSize(2);
    assertThat(envelope.execution().hostRequests().get(1).url()).contains("example.com");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ts", "js", "mjs"})
  void readmeNetworkExampleReturnsTheResponseJson(String ext) throws IOException {
    var envelope =
        runForm(
            ext,
            "readme-net",
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({
                name: "main",
                allowedHosts: ["127.0.0.1", "*.anthropic.com"]
            }, async () => {
                const response = await fetch("%s", {
                  method: "POST",
                  headers: { "Content-Type": "application/json" },
                  body: JSON.stringify({ models: ["a", "b"] })
                });
                return response.json();
            });
            """
                .formatted(server.url("/echo")),
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({
                name: "main",
                allowedHosts: ["127.0.0.1", "*.anthropic.com"]
            }, async () => {
                const response = await fetch("%s", {
                  method: "POST",
                  headers: { "Content-Type": "application/json" },
                  body: JSON.stringify({ models: ["a", "b"] })
                });
                return response.json();
            });
            """
                .formatted(server.url("/echo")));
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString()).isEqualTo("{\"models\":[\"a\",\"b\"]}");
  }

  @Test
  void tasksInOneSandboxShareNoStateThroughTheSnapshot() throws IOException {
    String first =
        """
        import { task } from "@capsule-run/sdk";
        import fs from "fs";
        export const main = task({ name: "main", allowedFiles: ["./data"], envVariables: ["API_KEY"] }, () => {
          globalThis.leftBehind = "first";
          Object.prototype.polluted = true;
          Math.abs = () => 42;
          return { randoms: [Math.random(), Math.random()], key: process.env.API_KEY ?? null,
                   file: fs.readFileSync("./data/input.txt") };
        });
        """;
    String second =
        """
        import { task } from "@capsule-run/sdk";
        import fs from "fs";
        export const main = task({ name: "main" }, () => {
          let file = null;
          try { file = fs.readFileSync("./data/input.txt"); } catch (e) { file = "denied"; }
          return { randoms: [Math.random(), Math.random()], key: process.env.API_KEY ?? null, file,
                   leftBehind: typeof globalThis.leftBehind, polluted: ({}).polluted === true,
                   abs: Math.abs(-1) };
        });
        """;
    var one = run("state-1.js", first);
    var two = run("state-2.js", second);
    assertThat(one.success()).as(one.toString()).isTrue();
    assertThat(two.success()).as(two.toString()).isTrue();
    assertThat(one.result().path("key").asText()).isEqualTo("k-123");
    assertThat(one.result().path("file").asText()).isEqualTo("from the host");
    assertThat(two.result().path("key").isNull()).isTrue();
    assertThat(two.result().path("file").asText()).isEqualTo("denied");
    assertThat(two.result().path("leftBehind").asText()).isEqualTo("undefined");
    assertThat(two.result().path("polluted").asBoolean()).isFalse();
    assertThat(two.result().path("abs").asInt()).isEqualTo(1);
    assertThat(two.result().path("randoms")).isNotEqualTo(one.result().path("randoms"));
    var again = run("state-1.js", first);
    assertThat(again.result().path("randoms")).isNotEqualTo(one.result().path("randoms"));
    for (var envelope : List.of(one, two, again)) {
      envelope.result().path("randoms").forEach(r -> assertThat(r.asDouble()).isBetween(0.0, 1.0));
    }
  }

  /**
   * A snapshot file planted in the cache (here: a bare header claiming 2 GiB of memory, written
   * without this installation's key) is never restored nor trusted to size an allocation: it is
   * replaced by one made here, and the task runs.
   */
  @Test
  void aPlantedSnapshotIsIgnoredAndMadeAgain(@TempDir Path cache) throws IOException {
    String source =
        """
        import { task } from "@capsule-run/sdk";
        export const main = task({ name: "main" }, () => "made here");
        """;
    Path file = files.resolve("planted.js");
    Files.writeString(file, source);
    Files.createDirectories(cache.resolve("interpreters"));
    runFresh(cache, file);
    Path snapshot;
    try (var stream = Files.list(cache.resolve("snapshots"))) {
      snapshot = stream.filter(p -> p.toString().endsWith(".snap")).findFirst().orElseThrow();
    }
    var planted = new java.io.ByteArrayOutputStream();
    var data = new java.io.DataOutputStream(planted);
    data.writeInt(0x43534e50); // any magic: the tag is checked first
    data.writeInt(32_767);
    data.writeInt(0);
    data.writeInt(-1);
    Files.write(snapshot, planted.toByteArray());

    var envelope = runFresh(cache, file);

    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asText()).isEqualTo("made here");
    assertThat(Files.readAllBytes(snapshot)).isNotEqualTo(planted.toByteArray());
  }

  private static ResultEnvelope runFresh(Path cache, Path file) throws IOException {
    try (var fresh = Sandbox.create(SandboxConfig.builder().withCacheDir(cache).build())) {
      TaskFile task = TaskFile.read(file, ScriptSandbox.CACHE);
      return fresh.run(fresh.prepare(task), new TaskCall(task.bakedOptions(), List.of()));
    }
  }

  @Test
  void snapshotOnDiskIsReusedAndARamCapBelowItIsAMemoryLimit(@TempDir Path cache)
      throws IOException {
    String source =
        """
        import { task } from "@capsule-run/sdk";
        export const main = task({ name: "main", ram: "1200KB" }, () => "too small");
        """;
    Path file = files.resolve("tiny.js");
    Files.writeString(file, source);
    Files.createDirectories(cache.resolve("interpreters"));
    try (var fresh = Sandbox.create(SandboxConfig.builder().withCacheDir(cache).build())) {
      TaskFile task = TaskFile.read(file, ScriptSandbox.CACHE);
      var envelope = fresh.run(fresh.prepare(task), new TaskCall(task.bakedOptions(), List.of()));
      assertThat(envelope.error().errorType()).isEqualTo(ErrorType.MEMORY_LIMIT);
      assertThat(envelope.error().message()).contains("ram cap");
    }
    try (var stream = Files.list(cache.resolve("snapshots"))) {
      assertThat(stream.map(p -> p.getFileName().toString()))
          .singleElement()
          .satisfies(name -> assertThat(name).startsWith("quickjs-").endsWith(".snap"));
    }
  }

  @Test
  void pythonSubTasksSynchronousAndGathered() throws IOException {
    String source =
        """
        from capsule import task, TaskError

        @task(name="double", compute="LOW")
        def double(n):
            return n * 2

        @task(name="fail")
        def fail():
            raise ValueError("child broke")

        @task(name="sync_main")
        def sync_main():
            return double(21)

        @task(name="main")
        async def main():
            import asyncio  # here, not at the top: LOW children need not pay for the import

            both = await asyncio.gather(double(1), double(2))
            try:
                await fail()
                failed = None
            except TaskError as e:
                failed = e.envelope["error"]["error_type"]
            return {"both": both, "failed": failed}
        """;
    var envelope = run("subtasks.py", source);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString())
        .isEqualTo("{\"both\":[2,4],\"failed\":\"task_error\"}");
    Path file = files.resolve("subtasks.py");
    PreparedModule module = sandbox.prepare(TaskFile.read(file, ScriptSandbox.CACHE));
    var sync =
        sandbox.run(
            module, new TaskCall(TaskOptions.builder().name("sync_main").build(), List.of()));
    assertThat(sync.result().asInt()).as(sync.toString()).isEqualTo(42);
  }

  @Test
  void pythonGatherStartsEverySubTaskBeforeWaiting() throws IOException {
    Path file = files.resolve("gather.py");
    Files.writeString(
        file,
        """
        import asyncio
        from capsule import task

        @task(name="child")
        def child(who):
            return who

        @task(name="main")
        async def main():
            return await asyncio.gather(child("a"), child("b"))
        """);
    PreparedModule module = sandbox.prepare(TaskFile.read(file, ScriptSandbox.CACHE));
    var runner = new RendezvousRunner(2);
    var envelope =
        sandbox.attempt(
            module, new TaskCall(TaskOptions.builder().name("main").build(), List.of()), runner);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString()).isEqualTo("[\"a together\",\"b together\"]");
  }
}
