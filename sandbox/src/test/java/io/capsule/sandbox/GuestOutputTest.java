package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.internal.lang.GuestError;
import io.capsule.sandbox.testing.LocalHttpServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a task writes reaches the caller as it writes it ({@link AttemptListener#taskOutput}), and
 * what a failing JavaScript task or module reports names the file's line, bounded whatever the
 * guest wrote; a file that does not parse is {@code invalid_module}, an interpreter out of memory
 * at the {@code ram} cap {@code memory_limit}.
 */
class GuestOutputTest {
  @TempDir static Path files;
  private static LocalHttpServer server;
  private static ScriptSandbox scripts;

  @BeforeAll
  static void start() {
    server = LocalHttpServer.start();
    scripts = new ScriptSandbox(files, Map.of());
  }

  @AfterAll
  static void stop() {
    scripts.close();
    server.close();
  }

  /** Runs {@code main} of {@code source} (written as {@code name}), telling {@code lines}. */
  private static ResultEnvelope run(String name, String source, List<String> lines)
      throws IOException {
    Files.writeString(files.resolve(name), source);
    TaskFile file = scripts.read(name);
    Sandbox sandbox = scripts.sandbox();
    return sandbox.run(
        sandbox.prepare(file),
        new TaskCall(file.script().optionsOf("main"), List.of()),
        listener(lines));
  }

  private static AttemptListener listener(List<String> lines) {
    return new AttemptListener() {
      @Override
      public void attemptFinished(int attempt, ResultEnvelope envelope, Duration retryIn) {}

      @Override
      public void taskOutput(String line) {
        lines.add(line);
      }
    };
  }

  @Test
  void aLineReachesTheListenerWhileTheTaskStillRuns() throws IOException {
    // The task meets the test at the local server's rendezvous after logging "waiting": only a
    // line seen while the task runs lets the test join it there (else the task hears "alone").
    List<String> lines = new CopyOnWriteArrayList<>();
    String meet = server.url("/meet?key=streaming");
    List<String> seen = new CopyOnWriteArrayList<>();
    AttemptListener joining =
        new AttemptListener() {
          @Override
          public void attemptFinished(int attempt, ResultEnvelope envelope, Duration retryIn) {}

          @Override
          public void taskOutput(String line) {
            seen.add(line);
            if (line.equals("waiting")) {
              CompletableFuture.runAsync(() -> get(meet));
            }
          }
        };
    Files.writeString(
        files.resolve("meet.js"),
        """
        import { task } from "@capsule-run/sdk";
        export const main = task(
          { name: "main", allowed_hosts: ["127.0.0.1"], timeout: "60s" },
          async () => {
            console.log("waiting");
            const answer = await (await fetch("%s")).text();
            console.log("met: " + answer);
            return answer;
          });
        """
            .formatted(meet));
    TaskFile file = scripts.read("meet.js");
    Sandbox sandbox = scripts.sandbox();
    ResultEnvelope envelope =
        sandbox.run(
            sandbox.prepare(file),
            new TaskCall(file.script().optionsOf("main"), List.of()),
            joining);
    assertThat(envelope.result()).as(envelope.toString()).isEqualTo(TextNode.valueOf("together"));
    assertThat(seen).containsExactly("waiting", "met: together");
    assertThat(lines).isEmpty();
  }

  private static void get(String url) {
    try {
      HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create(url)).build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aModulesStderrComesLineByLineAndItsLastLineWithoutANewlineToo() {
    List<String> lines = new CopyOnWriteArrayList<>();
    byte[] wasm =
        WatAssembler.assemble(
            """
            (module
              (import "wasi_snapshot_preview1" "fd_write"
                (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 64) "first\\nsecond\\r\\nthird")
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 64))
                (i32.store (i32.const 4) (i32.const 19))
                (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))))
            """);
    Sandbox sandbox = scripts.sandbox();
    ResultEnvelope envelope =
        sandbox.run(sandbox.prepare(wasm), TaskCall.of(List.of()), listener(lines));
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(lines).containsExactly("first", "second", "third");
  }

  @Test
  void aHugeStderrLineIsBoundedInTheMessageTheLogsAndThePiecesTheListenerGets() {
    List<String> lines = new CopyOnWriteArrayList<>();
    int size = 200_000;
    byte[] wasm =
        WatAssembler.assemble(
            """
            (module
              (import "wasi_snapshot_preview1" "fd_write"
                (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (memory (export "memory") 4)
              (func (export "_start")
                (memory.fill (i32.const 1024) (i32.const 120) (i32.const %d))
                (i32.store (i32.const 0) (i32.const 1024))
                (i32.store (i32.const 4) (i32.const %d))
                (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
                (call $exit (i32.const 1))))
            """
                .formatted(size, size));
    Sandbox sandbox = scripts.sandbox();
    ResultEnvelope envelope =
        sandbox.run(sandbox.prepare(wasm), TaskCall.of(List.of()), listener(lines));
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message())
        .startsWith("task exited with code 1: xxx")
        .hasSizeLessThan(GuestError.MAX_TEXT + 100);
    assertThat(envelope.logs().length()).isLessThanOrEqualTo(64 << 10);
    assertThat(CapsuleJson.write(envelope).length()).isLessThan(80 << 10);
    assertThat(lines).allSatisfy(line -> assertThat(line).hasSizeLessThanOrEqualTo(8 << 10));
    assertThat(String.join("", lines)).hasSize(size);
  }

  @Test
  void anUncaughtErrorNamesTheFileAndLineAndItsStackIsInTheLogs() throws IOException {
    List<String> lines = new CopyOnWriteArrayList<>();
    ResultEnvelope envelope =
        run(
            "divide.js",
            """
            import { task } from "@capsule-run/sdk";

            function divide(a, b) {
              if (b === 0) throw new RangeError("division by zero");
              return a / b;
            }

            export const main = task({ name: "main", max_retries: 1 }, () => {
              console.log("dividing");
              return divide(1, 0);
            });
            """,
            lines);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message()).isEqualTo("divide.js:4: RangeError: division by zero");
    assertThat(envelope.logs()).contains("RangeError: division by zero").contains("divide.js:4");
    assertThat(lines).contains("dividing", "RangeError: division by zero");
    assertThat(envelope.attempt()).as("task_error is retried").isEqualTo(2);
  }

  @Test
  void aHugeErrorMessageIsBoundedInTheEnvelope() throws IOException {
    ResultEnvelope envelope =
        run(
            "huge.js",
            """
            import { task } from "@capsule-run/sdk";
            export const main = task({ name: "main", ram: "256MB" }, () => {
              throw new Error("boom ".repeat(1000000));
            });
            """,
            new CopyOnWriteArrayList<>());
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message())
        .startsWith("huge.js:3: Error: boom boom")
        .hasSizeLessThan(GuestError.MAX_TEXT + 20);
    assertThat(CapsuleJson.write(envelope).length()).isLessThan(80 << 10);
  }

  @Test
  void aSyntaxErrorIsAnInvalidModuleNamingTheLineAndIsNotRetried() throws IOException {
    ResultEnvelope envelope =
        run(
            "broken.js",
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({ name: "main", max_retries: 2 }, () => {
              return {"unclosed": ;
            });
            """,
            new CopyOnWriteArrayList<>());
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.INVALID_MODULE);
    assertThat(envelope.error().message()).startsWith("broken.js:4: SyntaxError: ");
    assertThat(envelope.attempt()).isEqualTo(1);
  }

  @Test
  void aSyntaxErrorTheTasksCodeThrowsIsTheTasksError() throws IOException {
    ResultEnvelope envelope =
        run(
            "parse.js",
            """
            import { task } from "@capsule-run/sdk";

            const config = JSON.parse("{not json");

            export const main = task({ name: "main" }, () => config);
            """,
            new CopyOnWriteArrayList<>());
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message()).startsWith("parse.js:3: SyntaxError");
  }

  @Test
  void aTypeScriptSyntaxErrorIsAnInvalidModuleNamingFileAndLine() {
    assertThatThrownBy(
            () ->
                run(
                    "broken.ts",
                    """
                    import { task } from "@capsule-run/sdk";

                    export const main = task({ name: "main" }, (): number => {
                      return (1 + ;
                    });
                    """,
                    new CopyOnWriteArrayList<>()))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageStartingWith("broken.ts:4: SyntaxError: ");
  }

  @Test
  void runningOutOfMemoryAtTheRamCapIsAMemoryLimit() throws IOException {
    ResultEnvelope envelope =
        run(
            "hog.js",
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({ name: "main", ram: "16MB", max_retries: 2 }, () => {
              const kept = [];
              while (true) kept.push("x".repeat(1 << 20) + kept.length);
            });
            """,
            new CopyOnWriteArrayList<>());
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.attempt()).isEqualTo(1);
  }

  @Test
  void aHugeErrorThrownWhileTheFileLoadsIsReadBoundedByTheHost() throws IOException {
    ResultEnvelope envelope =
        run(
            "top.js",
            """
            import { task } from "@capsule-run/sdk";
            const e = new Error("boom ".repeat(1000000));
            Object.defineProperty(e, "name", { value: "Huge".repeat(1000000) });
            throw e;
            """,
            new CopyOnWriteArrayList<>());
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message())
        .startsWith("top.js:2: HugeHuge")
        .hasSizeLessThan(GuestError.MAX_TEXT + 20);
    assertThat(CapsuleJson.write(envelope).length()).isLessThan(80 << 10);
  }
}
