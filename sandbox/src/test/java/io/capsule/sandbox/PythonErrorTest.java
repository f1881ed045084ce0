package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.internal.lang.GuestError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failing Python task on the real CPython (resumed from the snapshot in the shared test cache):
 * its message names the file's line, its traceback (from the task's own frames) is the logs' tail
 * and reaches the listener as it is printed, a syntax error is {@code invalid_module}, a {@code
 * MemoryError} at the {@code ram} cap {@code memory_limit}, and a hostile traceback stays bounded.
 */
class PythonErrorTest {
  @TempDir static Path files;
  private static ScriptSandbox scripts;

  @BeforeAll
  static void start() {
    scripts = new ScriptSandbox(files, Map.of());
  }

  @AfterAll
  static void stop() {
    scripts.close();
  }

  private static ResultEnvelope run(String name, String source, List<String> lines)
      throws IOException {
    Files.writeString(files.resolve(name), source);
    TaskFile file = scripts.read(name);
    Sandbox sandbox = scripts.sandbox();
    return sandbox.run(
        sandbox.prepare(file),
        new TaskCall(file.script().optionsOf("main"), List.of()),
        new AttemptListener() {
          @Override
          public void attemptFinished(int attempt, ResultEnvelope envelope, Duration retryIn) {}

          @Override
          public void taskOutput(String line) {
            lines.add(line);
          }
        });
  }

  private static ResultEnvelope run(String name, String source) throws IOException {
    return run(name, source, new CopyOnWriteArrayList<>());
  }

  @Test
  void anExceptionNamesTheLineItWasRaisedOnAndItsTracebackIsTheTasksOwn() throws IOException {
    List<String> lines = new CopyOnWriteArrayList<>();
    ResultEnvelope envelope =
        run(
            "hello.py",
            """
            from capsule import task

            def ratio(a, b):
                return a / b

            @task(name="main", max_retries=1)
            def main():
                print("about to divide")
                return ratio(1, 0)
            """,
            lines);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message())
        .isEqualTo("hello.py:4: ZeroDivisionError: division by zero");
    assertThat(envelope.attempt()).as("a task_error is retried").isEqualTo(2);
    assertThat(envelope.logs())
        .contains("Traceback (most recent call last):")
        .contains("File \"hello.py\", line 9, in main")
        .contains("File \"hello.py\", line 4, in ratio")
        .endsWith("ZeroDivisionError: division by zero\n")
        .doesNotContain("_capsule_boot");
    assertThat(lines)
        .containsSubsequence(
            "about to divide",
            "Traceback (most recent call last):",
            "ZeroDivisionError: division by zero");
  }

  @Test
  void aSyntaxErrorIsAnInvalidModuleNamingTheLineAndIsNotRetried() throws IOException {
    ResultEnvelope envelope =
        run(
            "broken.py",
            """
            from capsule import task

            @task(name="main", max_retries=2)
            def main():
                return {"unclosed": 1
            """);
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.INVALID_MODULE);
    assertThat(envelope.error().message()).startsWith("broken.py:5: SyntaxError: ");
    assertThat(envelope.attempt()).isEqualTo(1);
    assertThat(envelope.logs()).contains("File \"broken.py\", line 5");
  }

  @Test
  void anIndentationErrorIsAnInvalidModuleToo() throws IOException {
    ResultEnvelope envelope =
        run(
            "indent.py",
            """
            from capsule import task

            @task(name="main")
            def main():
            return 1
            """);
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.INVALID_MODULE);
    assertThat(envelope.error().message()).startsWith("indent.py:5: IndentationError: ");
  }

  @Test
  void aSyntaxErrorTheTasksOwnCodeRaisesIsATaskError() throws IOException {
    ResultEnvelope envelope =
        run(
            "evaluator.py",
            """
            from capsule import task

            @task(name="main")
            def main():
                return eval("1 +")
            """);
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message()).startsWith("evaluator.py:5: SyntaxError: ");
  }

  @Test
  void aMemoryErrorAtTheRamCapIsAMemoryLimitAndIsNotRetried() throws IOException {
    ResultEnvelope envelope =
        run(
            "grow.py",
            """
            from capsule import task

            @task(name="main", ram="32MB", max_retries=2)
            def main():
                return len(bytearray(64 * 1024 * 1024))
            """);
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.error().message()).contains("grow.py:5: MemoryError");
    assertThat(envelope.attempt()).isEqualTo(1);
  }

  @Test
  void aMemoryErrorTheTaskRaisesItselfIsItsOwnError() throws IOException {
    ResultEnvelope envelope =
        run(
            "claims.py",
            """
            from capsule import task

            @task(name="main")
            def main():
                raise MemoryError("not really")
            """);
    assertThat(envelope.error().errorType())
        .as("no growth was refused: the guest's word is not enough")
        .isEqualTo(ErrorType.TASK_ERROR);
  }

  @Test
  void aHostileHugeTracebackStaysBounded() throws IOException {
    List<String> lines = new CopyOnWriteArrayList<>();
    ResultEnvelope envelope =
        run(
            "huge.py",
            """
            from capsule import task

            def deep(n):
                if n == 0:
                    raise ValueError("x" * 5_000_000 + "\\nsecond line")
                return deep(n - 1)

            @task(name="main", ram="128MB")
            def main():
                return deep(200)
            """,
            lines);
    assertThat(envelope.error().errorType())
        .as(envelope.error().message())
        .isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message())
        .startsWith("huge.py:5: ValueError: xxxx")
        .hasSizeLessThan(GuestError.MAX_TEXT + 20)
        .doesNotContain("second line");
    assertThat(envelope.logs()).hasSizeLessThanOrEqualTo(64 << 10).endsWith("second line\n");
    assertThat(CapsuleJson.write(envelope).length()).isLessThan(80 << 10);
    assertThat(lines).allSatisfy(line -> assertThat(line).hasSizeLessThanOrEqualTo(8 << 10));
  }
}
