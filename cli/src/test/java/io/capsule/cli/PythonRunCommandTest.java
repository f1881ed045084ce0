package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code capsule run FILE.py ARGS --json} on the real CPython interpreter — the README's Python
 * example among them. The runs use the build's shared test cache (where the sandbox module's tests
 * prepared CPython), as a user's second run uses the user cache: seconds each, not minutes.
 */
class PythonRunCommandTest {
  private static final Path EXAMPLES = Path.of("..", "examples");
  private static final String CACHE_PROPERTY = "capsule.cache.dir";
  private static String moduleCache;

  @TempDir Path tmp;

  @BeforeAll
  static void useTheSharedTestCache() {
    moduleCache = System.getProperty(CACHE_PROPERTY);
    System.setProperty(
        CACHE_PROPERTY,
        System.getProperty("capsule.test.shared.cache", "../target/shared-test-cache"));
  }

  @AfterAll
  static void restoreTheModuleCache() {
    if (moduleCache == null) {
      System.clearProperty(CACHE_PROPERTY);
    } else {
      System.setProperty(CACHE_PROPERTY, moduleCache);
    }
  }

  private static JsonNode envelope(CliRun run) {
    assertThat(run.out().lines()).as(run.err()).hasSize(1);
    return CapsuleJson.readTree(run.out());
  }

  @Test
  void theReadmeHelloPrintsItsEnvelope() {
    CliRun run = CliRun.of("run", EXAMPLES.resolve("python/hello.py").toString(), "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode envelope = envelope(run);
    assertThat(envelope.at("/result").asText()).isEqualTo("Hello from Capsule!");
    assertThat(envelope.at("/execution/task_name").asText()).isEqualTo("main");
  }

  @Test
  void argumentsAfterTheSeparatorReachMain() throws IOException {
    Path file =
        Files.writeString(
            tmp.resolve("greet.py"),
            """
            from capsule import task

            @task(name="main", compute="LOW")
            def main(name: str, count: str) -> dict:
                return {"greeting": f"Hello, {name}!", "count": int(count)}
            """);
    CliRun run = CliRun.of("run", file.toString(), "--json", "--", "Ada", "3");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(envelope(run).at("/result").toString())
        .isEqualTo("{\"greeting\":\"Hello, Ada!\",\"count\":3}");
  }

  @Test
  void aRaisedExceptionExitsOneNamingFileAndLineAfterItsTraceback() throws IOException {
    Path file =
        Files.writeString(
            tmp.resolve("fail.py"),
            """
            from capsule import task

            @task(name="main")
            def main():
                raise RuntimeError("no data today")
            """);
    CliRun run = CliRun.of("run", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().strip().lines())
        .as("the task's traceback as it printed it, then the reason")
        .startsWith("Traceback (most recent call last):")
        .endsWith(
            "RuntimeError: no data today",
            "✗ main failed: task_error: fail.py:5: RuntimeError: no data today");
  }

  @Test
  void printedLinesGoToStderrAndJsonStdoutHoldsOnlyTheEnvelope() throws IOException {
    Path file =
        Files.writeString(
            tmp.resolve("chatty.py"),
            """
            from capsule import task

            @task(name="main")
            def main():
                print("working on it")
                return 42
            """);
    CliRun run = CliRun.of("run", file.toString(), "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(envelope(run).get("result").asInt()).isEqualTo(42);
    assertThat(run.err().lines()).contains("working on it");
  }
}
