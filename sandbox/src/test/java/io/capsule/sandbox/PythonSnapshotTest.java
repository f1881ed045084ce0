package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python tasks resumed from the CPython snapshot (made on first use into the user cache, minutes;
 * then each task takes milliseconds): the task's own options still hold per task.
 */
class PythonSnapshotTest {
  @TempDir static Path files;
  private static ScriptSandbox scripts;
  private static Sandbox sandbox;

  @BeforeAll
  static void start() throws IOException {
    Files.createDirectories(files.resolve("data"));
    Files.createDirectories(files.resolve("output"));
    Files.createDirectories(files.resolve("secret"));
    Files.createDirectories(files.resolve("scratch"));
    Files.createDirectories(files.resolve("deep/inner"));
    Files.writeString(files.resolve("data/input.txt"), "from the host");
    Files.writeString(files.resolve("secret/key.txt"), "do not read");
    scripts = new ScriptSandbox(files, Map.of("API_KEY", "k-123", "OTHER", "hidden"));
    sandbox = scripts.sandbox();
  }

  @AfterAll
  static void stop() {
    scripts.close();
  }

  private ResultEnvelope run(String name, String source, JsonNode... args) throws IOException {
    return runTask(name, source, "main", args);
  }

  private ResultEnvelope runTask(String name, String source, String task, JsonNode... args)
      throws IOException {
    return scripts.run(name, source, task, List.of(args));
  }

  @Test
  void helloResumesFromTheSnapshotUnderLowCompute() throws IOException {
    var envelope =
        run(
            "hello.py",
            """
            from capsule import task

            @task(name="main", compute="LOW", ram="64MB")
            def main() -> str:
                return "Hello from Capsule!"
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asText()).isEqualTo("Hello from Capsule!");
    assertThat(sandbox.prepare(scripts.read("hello.py")).resumable()).isTrue();
  }

  @Test
  void argumentsReachTheTaskAndPrintGoesToStdout() throws IOException {
    var envelope =
        run(
            "args.py",
            """
            from capsule import task

            @task(name="main")
            def main(who, n):
                print("log line")
                return {"who": who, "twice": n * 2}
            """,
            TextNode.valueOf("me"),
            IntNode.valueOf(21));
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString()).isEqualTo("{\"who\":\"me\",\"twice\":42}");
  }

  @Test
  void raisedExceptionIsATaskErrorWithItsText() throws IOException {
    var envelope =
        run(
            "raise.py",
            """
            from capsule import task

            @task(name="main")
            def main():
                raise ValueError("bad input 7")
            """);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message()).contains("ValueError: bad input 7");
    assertThat(envelope.logs()).contains("Traceback");
  }

  @Test
  void endlessLoopUnderLowRunsOutOfFuel() throws IOException {
    var envelope =
        run(
            "spin.py",
            """
            from capsule import task

            @task(name="main", compute="LOW")
            def main():
                while True:
                    pass
            """);
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.FUEL_EXHAUSTED);
  }

  /**
   * A task may write requests to the host channel itself; a second {@code start} must not restart
   * the fuel meter. Each chunk here burns about a third of LOW's budget, four in all.
   */
  @Test
  void sendingStartAgainDoesNotRestartTheFuelMeter() throws IOException {
    var envelope =
        run(
            "refuel.py",
            """
            import capsule
            from capsule import task

            @task(name="main", compute="LOW")
            def main():
                total = 0
                for chunk in range(4):
                    for i in range(15000):
                        total += i
                    capsule._notify("start", None)
                return total
            """);
    assertThat(envelope.success()).as(envelope.toString()).isFalse();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.FUEL_EXHAUSTED);
  }

  /**
   * A file run again starts from the code the first run compiled (kept by the host), with the same
   * result and the same file and line numbers in a traceback.
   */
  @Test
  void aFileRunAgainStartsFromItsCompiledCode() throws IOException {
    String source =
        """
        from capsule import task

        @task(name="main")
        def main(n: int):
            if n < 0:
                raise ValueError(f"negative: {n}")
            return {"twice": n * 2}
        """;
    var first = run("compiled.py", source, IntNode.valueOf(21));
    PreparedModule module = sandbox.prepare(scripts.read("compiled.py"));
    assertThat(module.pythonResume().compiled().get(module.script().fileName(), source))
        .as("the first run's compiled code is kept")
        .isNotNull();
    var second = run("compiled.py", source, IntNode.valueOf(21));
    var failing = run("compiled.py", source, IntNode.valueOf(-1));
    assertThat(first.success()).as(first.toString()).isTrue();
    assertThat(second.result()).isEqualTo(first.result());
    assertThat(second.result().path("twice").asInt()).isEqualTo(42);
    var third = run("compiled.py", source, IntNode.valueOf(21));
    assertThat(third.execution().fuelConsumed())
        .as("runs from the cached code are charged alike")
        .isEqualTo(second.execution().fuelConsumed());
    assertThat((double) second.execution().fuelConsumed())
        .as("the first run's compiling leaves CPython's allocator in another state")
        .isCloseTo(first.execution().fuelConsumed(), withinPercentage(2));
    assertThat(failing.error().message()).contains("ValueError: negative: -1");
    assertThat(failing.logs()).contains("compiled.py\", line 6, in main");
  }

  /**
   * The host keeps compiled code only from the boot script's {@code start}, sent before the task's
   * own code runs: a task that forges one later cannot change what later runs of its file execute.
   */
  @Test
  void aTaskCannotHandLaterRunsOfItsFileOtherCode() throws IOException {
    String source =
        """
        import binascii, marshal
        import capsule
        from capsule import task

        EVIL = \"""
        from capsule import task

        @task(name="main")
        def main():
            return "forged"
        \"""

        @task(name="main")
        def main():
            forged = compile(EVIL, __file__, "exec")
            capsule._notify("start", binascii.b2a_base64(marshal.dumps(forged), newline=False).decode())
            return "genuine"
        """;
    var first = run("forge.py", source);
    var second = run("forge.py", source);
    assertThat(first.result().asText()).as(first.toString()).isEqualTo("genuine");
    assertThat(second.result().asText()).as(second.toString()).isEqualTo("genuine");
  }

  @Test
  void endlessLoopWithTimeoutStopsInTime() throws IOException {
    long start = System.nanoTime();
    var envelope =
        run(
            "slow.py",
            """
            from capsule import task

            @task(name="main", compute="HIGH", timeout="2s")
            def main():
                while True:
                    pass
            """);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(envelope.error().errorType()).as(envelope.toString()).isEqualTo(ErrorType.TIMEOUT);
    assertThat(millis).isLessThan(4_000);
  }

  @Test
  void ramCapBelowTheSnapshotIsAMemoryLimitFailure() throws IOException {
    var envelope =
        run(
            "small.py",
            """
            from capsule import task

            @task(name="main", ram="4MB")
            def main():
                return "unreachable"
            """);
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.MEMORY_LIMIT);
  }

  @Test
  void growingPastTheRamCapIsAMemoryLimitFailure() throws IOException {
    var envelope =
        run(
            "grow.py",
            """
            from capsule import task

            @task(name="main", ram="32MB")
            def main():
                return len(bytearray(64 * 1024 * 1024))
            """);
    assertThat(envelope.success()).as(envelope.toString()).isFalse();
    assertThat(envelope.error().errorType()).isIn(ErrorType.MEMORY_LIMIT, ErrorType.TASK_ERROR);
    assertThat(envelope.toString()).containsAnyOf("MemoryError", "memory");
  }

  @Test
  void environmentIsTheTasksOwnAndNothingOfTheHosts() throws IOException {
    var envelope =
        run(
            "env.py",
            """
            import os
            from capsule import task

            @task(name="main", env_variables=["API_KEY"])
            def main():
                return {"key": os.environ.get("API_KEY"), "names": sorted(os.environ)}
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString())
        .isEqualTo("{\"key\":\"k-123\",\"names\":[\"API_KEY\"]}");
  }

  @Test
  void subTaskRunsInItsOwnResumedSandbox() throws IOException {
    var envelope =
        run(
            "sub.py",
            """
            from capsule import task

            @task(name="double", compute="LOW")
            def double(n):
                return n * 2

            @task(name="main")
            def main():
                return double(21)
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asInt()).isEqualTo(42);
  }

  /**
   * An older capsule-run example: {@code async def main()} left undecorated, sub-tasks gathered,
   * and an {@code if __name__ == "__main__"} block (which does not run: main is the entry point).
   */
  @Test
  void anUndecoratedAsyncMainRunsAsTheMainTask() throws IOException {
    var envelope =
        run(
            "old_async.py",
            """
            import asyncio
            from capsule import task

            @task(name="greet", compute="LOW", ram="64MB", timeout="5s", max_retries=2)
            def greet(name: str) -> str:
                return f"Hello, {name}!"

            @task(name="calculate", compute="LOW", ram="64MB", timeout="5s")
            def calculate(x: int, y: int) -> str:
                return f"The answer is {x + y}"

            async def main():
                results = await asyncio.gather(greet("Capsule"), calculate(40, 2))
                print(f"Task 1: {results[0]}")
                return results

            if __name__ == "__main__":
                asyncio.run(main())
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result())
        .isEqualTo(CapsuleJson.readTree("[\"Hello, Capsule!\", \"The answer is 42\"]"));
    assertThat(envelope.logs()).contains("Task 1: Hello, Capsule!");
  }

  @Test
  void tasksInARowShareNoGlobalsNoRandomStateAndNoUngrantedFiles() throws IOException {
    String source =
        """
        import json, os, random
        from capsule import task

        @task(name="main")
        def main():
            seen = getattr(json, "leaked", None)
            json.leaked = "from an earlier task"
            try:
                open("/secret/key.txt").read()
                secret = "read"
            except OSError as e:
                secret = type(e).__name__
            return {"seen": seen, "random": random.random(), "secret": secret}
        """;
    var first = run("isolation.py", source);
    var second = run("isolation.py", source);
    assertThat(first.success()).as(first.toString()).isTrue();
    assertThat(second.success()).as(second.toString()).isTrue();
    assertThat(second.result().path("seen").isNull()).as(second.toString()).isTrue();
    assertThat(second.result().path("random").asDouble())
        .isNotEqualTo(first.result().path("random").asDouble());
    assertThat(first.result().path("secret").asText()).isNotEqualTo("read");
  }

  /**
   * capsule-run's README file example (a read-only and a read-write directory) resumes from the
   * snapshot too: its directories are served under the snapshot's virtual root, with the paths and
   * errors a cold start with them preopened gives (ENOENT outside the grants, EROFS for a write
   * into a read-only one, ENOTCAPABLE for a {@code ..} escape).
   */
  @Test
  void filesFollowTheGrantsInATaskResumedFromTheSnapshot() throws IOException {
    var envelope =
        run(
            "files.py",
            """
            import errno, os, sys
            from capsule import task

            @task(name="main", allowed_files=[
                {"path": "./data", "mode": "read-only"},
                {"path": "./output", "mode": "read-write"}])
            def main():
                # decimal is preloaded only in the snapshot run: a cold start has not imported it
                resumed = "decimal" in sys.modules
                content = open("./data/input.txt").read()
                with open("output/result.txt", "w") as f:
                    f.write(content)
                outcomes = {}
                for key, path, mode in (("read_only", "data/x.txt", "w"),
                                        ("ungranted", "secret/key.txt", "r"),
                                        ("ungranted_absolute", "/secret/key.txt", "r"),
                                        ("escape", "./data/../secret/key.txt", "r"),
                                        ("top_level", "new.txt", "w")):
                    try:
                        open(path, mode).close()
                        outcomes[key] = "allowed"
                    except OSError as e:
                        outcomes[key] = errno.errorcode[e.errno]
                return {"resumed": resumed, "content": content,
                        "listing": sorted(os.listdir("data")),
                        "absolute": open("/data/input.txt").read(),
                        "written": sorted(os.listdir("/output")), "outcomes": outcomes}
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    JsonNode result = envelope.result();
    assertThat(result.path("resumed").asBoolean()).as(result.toString()).isTrue();
    assertThat(result.path("content").asText()).isEqualTo("from the host");
    assertThat(result.path("absolute").asText()).isEqualTo("from the host");
    assertThat(result.path("listing").toString()).isEqualTo("[\"input.txt\"]");
    assertThat(result.path("written").toString()).contains("result.txt");
    assertThat(result.path("outcomes").toString())
        .isEqualTo(
            "{\"read_only\":\"EROFS\",\"ungranted\":\"ENOENT\",\"ungranted_absolute\":\"ENOENT\","
                + "\"escape\":\"ENOTCAPABLE\",\"top_level\":\"ENOENT\"}");
    assertThat(Files.readString(files.resolve("output/result.txt"))).isEqualTo("from the host");
    assertThat(files.resolve("data/x.txt")).doesNotExist();
    assertThat(files.resolve("new.txt")).doesNotExist();
  }

  /**
   * The same file operations as on a cold start with the grants preopened: every expected outcome
   * here was measured on the cold path (before tasks with files resumed), the same script there.
   */
  @Test
  void fileOperationsGiveWhatAColdStartWithTheGrantsPreopenedGave() throws IOException {
    var envelope =
        run(
            "probe.py",
            """
            import errno, os
            from capsule import task

            def attempt(f):
                try:
                    return ["ok", repr(f())]
                except OSError as e:
                    return [type(e).__name__, errno.errorcode[e.errno]]

            @task(name="main", allowed_files=[{"path": "./data", "mode": "ro"},
                                              {"path": "./scratch", "mode": "rw"},
                                              {"path": "./deep/inner", "mode": "ro"}])
            def main():
                out = {"cwd": os.getcwd()}
                for key, f in [
                        ("relative_ungranted", lambda: open("secret/key.txt").read()),
                        ("absolute_ungranted", lambda: open("/secret/key.txt").read()),
                        ("list_dot", lambda: os.listdir(".")),
                        ("list_root", lambda: os.listdir("/")),
                        ("list_parent_of_grant", lambda: os.listdir("deep")),
                        ("list_nested_grant", lambda: os.listdir("deep/inner")),
                        ("stat_missing", lambda: os.stat("nope")),
                        ("stat_root", lambda: os.stat("/").st_mode),
                        ("stat_grant", lambda: os.stat("data").st_mode),
                        ("create_top_level", lambda: open("newtop.txt", "w").close()),
                        ("mkdir_top_level", lambda: os.mkdir("newdir")),
                        ("escape_into_other_grant", lambda: open("./data/../scratch/x", "w").close()),
                        ("escape_out", lambda: open("data/../../x.txt", "w").close()),
                        ("write_read_only", lambda: open("./data/new.txt", "w").close()),
                        ("list_grant", lambda: os.listdir("data")),
                        ("list_grant_absolute", lambda: os.listdir("/data")),
                        ("list_grant_dot_slash", lambda: os.listdir("./data/")),
                        ("write_sdk", lambda: open("/capsule-sdk/x", "w").close()),
                        ("write_read_write", lambda: open("scratch/w.txt", "w").write("hi")),
                        ("rename_out_of_grants", lambda: os.rename("scratch/w.txt", "w2.txt")),
                        ("scandir_root", lambda: [e.name for e in os.scandir("/")]),
                        ("chdir_grant", lambda: os.chdir("data")),
                        ("read_after_chdir", lambda: open("input.txt").read())]:
                    out[key] = attempt(f)
                out["cwd_after"] = os.getcwd()
                out["usr_exists"] = os.path.exists("/usr")
                return out
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result())
        .isEqualTo(
            CapsuleJson.readTree(
                """
                {"cwd": "/",
                 "relative_ungranted": ["FileNotFoundError", "ENOENT"],
                 "absolute_ungranted": ["FileNotFoundError", "ENOENT"],
                 "list_dot": ["FileNotFoundError", "ENOENT"],
                 "list_root": ["FileNotFoundError", "ENOENT"],
                 "list_parent_of_grant": ["FileNotFoundError", "ENOENT"],
                 "list_nested_grant": ["ok", "[]"],
                 "stat_missing": ["FileNotFoundError", "ENOENT"],
                 "stat_root": ["FileNotFoundError", "ENOENT"],
                 "stat_grant": ["ok", "16384"],
                 "create_top_level": ["FileNotFoundError", "ENOENT"],
                 "mkdir_top_level": ["FileNotFoundError", "ENOENT"],
                 "escape_into_other_grant": ["PermissionError", "ENOTCAPABLE"],
                 "escape_out": ["PermissionError", "ENOTCAPABLE"],
                 "write_read_only": ["OSError", "EROFS"],
                 "list_grant": ["ok", "['input.txt']"],
                 "list_grant_absolute": ["ok", "['input.txt']"],
                 "list_grant_dot_slash": ["ok", "['input.txt']"],
                 "write_sdk": ["OSError", "EROFS"],
                 "write_read_write": ["ok", "2"],
                 "rename_out_of_grants": ["FileNotFoundError", "ENOENT"],
                 "scandir_root": ["FileNotFoundError", "ENOENT"],
                 "chdir_grant": ["ok", "None"],
                 "read_after_chdir": ["ok", "'from the host'"],
                 "cwd_after": "/data",
                 "usr_exists": true}
                """));
    assertThat(files.resolve("scratch/w.txt")).hasContent("hi");
    assertThat(files.resolve("newtop.txt")).doesNotExist();
  }

  /** An unhandled write into a read-only grant fails as it does cold: permission_denied. */
  @Test
  void anUnhandledWriteIntoAReadOnlyGrantIsPermissionDenied() throws IOException {
    var envelope =
        run(
            "ro_write.py",
            """
            from capsule import task

            @task(name="main", allowed_files=[{"path": "./data", "mode": "ro"}])
            def main():
                open("./data/new.txt", "w").close()
            """);
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.PERMISSION_DENIED);
    assertThat(envelope.error().message())
        .startsWith(
            "path_open on 'new.txt' refused (read only), then ro_write.py:5: OSError: [Errno 69]");
    assertThat(files.resolve("data/new.txt")).doesNotExist();
  }

  /** Each resumed task reaches its own grants only, whatever the previous task had. */
  @Test
  void consecutiveTasksWithDifferentGrantsSeeOnlyTheirOwnDirectories() throws IOException {
    String template =
        """
        import os
        from capsule import task

        @task(name="main", allowed_files=[%s])
        def main():
            seen = {}
            for name in ("data", "output", "secret"):
                try:
                    seen[name] = sorted(os.listdir(name))
                except OSError as e:
                    seen[name] = type(e).__name__
            return seen
        """;
    var first = run("grants_a.py", template.formatted("\"./data:ro\""));
    var second =
        run("grants_b.py", template.formatted("{\"path\": \"./secret\", \"mode\": \"ro\"}"));
    var third = run("grants_c.py", template.formatted(""));
    assertThat(first.success()).as(first.toString()).isTrue();
    assertThat(second.success()).as(second.toString()).isTrue();
    assertThat(third.success()).as(third.toString()).isTrue();
    assertThat(first.result().toString())
        .isEqualTo(
            "{\"data\":[\"input.txt\"],\"output\":\"FileNotFoundError\","
                + "\"secret\":\"FileNotFoundError\"}");
    assertThat(second.result().toString())
        .isEqualTo(
            "{\"data\":\"FileNotFoundError\",\"output\":\"FileNotFoundError\","
                + "\"secret\":[\"key.txt\"]}");
    assertThat(third.result().path("data").asText()).isEqualTo("FileNotFoundError");
    assertThat(third.result().path("secret").asText()).isEqualTo("FileNotFoundError");
  }
}
