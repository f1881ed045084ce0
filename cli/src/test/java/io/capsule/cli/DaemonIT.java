package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.sandbox.GuestScript;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local daemon in real processes: the packaged CLI started as {@code ./capsule} starts it
 * (target/capsule-cli.jar and target/lib), which starts a real daemon JVM on first use. Envelopes
 * through the daemon equal in-process ones; the caller's environment and working directory count,
 * never the daemon's; stop, stale sockets and a killed daemon are handled.
 */
class DaemonIT {
  private static final Path MODULE_DIR = Path.of("").toAbsolutePath();
  private static final Path EXAMPLES = MODULE_DIR.resolve("../examples").normalize();
  private static final Path FILEPROBE =
      MODULE_DIR.resolve("../sandbox/src/test/resources/corpus/wasi/fileprobe.wasm").normalize();
  private static final Path SHARED_CACHE =
      Path.of(System.getProperty("capsule.test.shared.cache", "target/shared-test-cache"));
  private static final Pattern PID = Pattern.compile("pid (\\d+)");

  @TempDir Path work;
  private Path cache = MODULE_DIR.resolve("target/daemon-it-cache");

  record Result(int exit, String out, String err) {
    JsonNode envelope() {
      assertThat(out.lines()).as("stdout is one envelope; stderr: %s", err).hasSize(1);
      return CapsuleJson.readTree(out);
    }

    boolean startedADaemon() {
      return err.contains("capsule: started a local daemon (pid ");
    }
  }

  @BeforeEach
  void seedCacheAndStopAnyDaemon() throws Exception {
    Path quickJs = SHARED_CACHE.resolve("interpreters/quickjs-wasi-3.6.2.wasm");
    Path seeded = cache.resolve("interpreters").resolve(quickJs.getFileName());
    if (Files.isRegularFile(quickJs) && !Files.exists(seeded)) {
      Files.createDirectories(seeded.getParent());
      Files.copy(quickJs, seeded); // the interpreter only: the test does not measure npm
    }
    capsule(Map.of(), "daemon", "stop");
  }

  @AfterEach
  void stopTheDaemon() throws Exception {
    capsule(Map.of(), "daemon", "stop");
  }

  @Test
  void runsGoThroughOneDaemonAndGiveWhatAnInProcessRunGives() throws Exception {
    Path trap = Files.writeString(work.resolve("trap.wat"), TRAP_WAT);
    Path wat = EXAMPLES.resolve("hello.wat");
    Path js = EXAMPLES.resolve("javascript/hello.js");

    Result first = capsule(Map.of(), "run", wat.toString(), "--json");
    Result second = capsule(Map.of(), "run", wat.toString(), "--json");
    Result local = capsule(Map.of(), "run", wat.toString(), "--json", "--no-daemon");
    assertThat(first.startedADaemon()).as(first.err()).isTrue();
    assertThat(second.startedADaemon()).isFalse();
    assertThat(second.err()).isEmpty();
    assertSameOutcome(second, local);
    assertSameOutcome(first, local);

    Result trapped = capsule(Map.of(), "run", trap.toString(), "--json");
    Result trappedLocally = capsule(Map.of("CAPSULE_NO_DAEMON", "1"), "run", trap.toString());
    assertThat(trapped.exit()).isEqualTo(Main.TASK_FAILED);
    assertThat(trapped.envelope().at("/error/error_type").asText()).isEqualTo("wasm_error");
    assertThat(trappedLocally.exit()).isEqualTo(Main.TASK_FAILED);
    assertThat(trappedLocally.err()).contains("wasm_error");

    capsule(Map.of(), "run", js.toString(), "--json");
    Result jsAgain = capsule(Map.of(), "run", js.toString(), "--json");
    assertSameOutcome(jsAgain, capsule(Map.of(), "run", js.toString(), "--json", "--no-daemon"));
    assertThat(jsAgain.envelope().at("/result").asText()).isEqualTo("Hello from Capsule!");

    Result missing = capsule(Map.of(), "run", "nope.wasm", "--json");
    assertThat(missing.exit()).isEqualTo(Main.USAGE);
    assertThat(missing.out()).isEmpty();
    assertThat(missing.err()).isEqualTo("capsule: cannot read nope.wasm: no such file\n");

    Path artifact = work.resolve("hello.capsule");
    assertThat(capsule(Map.of(), "build", wat.toString(), "-o", artifact.toString()).exit())
        .isZero();
    Result exec = capsule(Map.of(), "exec", "hello.capsule", "--json");
    assertSameOutcome(exec, capsule(Map.of(), "exec", "hello.capsule", "--json", "--no-daemon"));
    assertThat(exec.envelope().at("/result/hello").asText()).isEqualTo("world");

    Result status = capsule(Map.of(), "daemon", "status");
    assertThat(status.exit()).isZero();
    assertThat(status.out()).contains("tasks served 7").contains("socket ").contains("uptime ");
    Result stop = capsule(Map.of(), "daemon", "stop");
    assertThat(stop.err()).contains("local daemon stopped");
    assertThat(capsule(Map.of(), "daemon", "status").exit()).isEqualTo(Main.TASK_FAILED);
  }

  @Test
  void aScriptWhoseInterpreterIsNotPreparedRunsInTheCallerWithItsProgressThenInTheDaemon()
      throws Exception {
    cache = work.resolve("empty-cache"); // QuickJS not fetched yet: its preparation is due
    Path js = EXAMPLES.resolve("javascript/hello.js");

    Result first = capsule(Map.of(), "run", js.toString(), "--json");
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.envelope().at("/result").asText()).isEqualTo("Hello from Capsule!");
    assertThat(first.err())
        .contains("capsule: running in this process: its javascript interpreter is not prepared")
        .contains("quickjs"); // the one-time preparation's progress, in the caller's terminal

    Result second = capsule(Map.of(), "run", js.toString(), "--json");
    assertThat(second.err()).isEmpty(); // through the daemon: nothing to prepare any more
    assertSameOutcome(second, first);
    assertThat(capsule(Map.of(), "daemon", "status").out()).contains("tasks served 1");
  }

  @Test
  void theTaskSeesTheCallersEnvironmentAndWorkingDirectoryNotTheDaemons() throws Exception {
    Path elsewhere = Files.createDirectories(work.resolve("elsewhere"));
    Result started = capsuleIn(elsewhere, Map.of("DAEMON_ONLY", "daemon"), "daemon", "start");
    assertThat(started.startedADaemon()).as(started.err()).isTrue();
    Path project = Files.createDirectories(work.resolve("project"));
    Files.createDirectories(project.resolve("data"));
    Files.writeString(project.resolve("data/in.txt"), "the caller's file");
    Files.writeString(project.resolve(".env"), "FROM_DOTENV=dotenv value\n");

    Map<String, String> env = Map.of("CLIENT_ONLY", "client value");
    assertThat(probe(project, env, "--env", "CLIENT_ONLY", "env", "CLIENT_ONLY"))
        .isEqualTo("client value");
    assertThat(probe(project, env, "--env", "FROM_DOTENV", "env", "FROM_DOTENV"))
        .isEqualTo("dotenv value");
    assertThat(probe(project, env, "--env", "DAEMON_ONLY", "env", "DAEMON_ONLY")).isNull();
    assertThat(probe(project, env, "--allow-file", "data:ro", "read", "data/in.txt"))
        .isEqualTo("the caller's file");
    assertThat(capsuleIn(project, env, "daemon", "status").out()).contains("tasks served 4");
  }

  @Test
  void aGarbageSocketFileIsReplacedByAFreshDaemon() throws Exception {
    Path socket = socketPath();
    Files.createDirectories(socket.getParent());
    Files.writeString(socket, "not a socket");
    Result run = capsule(Map.of(), "run", EXAMPLES.resolve("hello.wat").toString(), "--json");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.startedADaemon()).isTrue();
    assertThat(run.envelope().at("/result/hello").asText()).isEqualTo("world");
  }

  @Test
  void aKilledDaemonIsReplacedByAFreshOneNotAnError() throws Exception {
    String wat = EXAMPLES.resolve("hello.wat").toString();
    capsule(Map.of(), "run", wat, "--json");
    long pid = daemonPid();
    ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
    daemon.destroyForcibly();
    await().atMost(Duration.ofSeconds(10)).until(() -> !daemon.isAlive());

    Result run = capsule(Map.of(), "run", wat, "--json");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.startedADaemon()).isTrue();
    assertThat(run.err()).doesNotContain("running in this process");
    assertThat(daemonPid()).isNotEqualTo(pid);
  }

  @Test
  void aCallerThatGoesAwayStopsItsHungTaskAndTheDaemonServesOn() throws Exception {
    Path spin = Files.writeString(work.resolve("spin.wat"), SPIN_WAT);
    capsule(Map.of(), "daemon", "start");
    Process caller = start(work, Map.of(), "spin", "run", spin.toString(), "--json");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> capsule(Map.of(), "daemon", "status").out().contains("running 1"));
    caller.destroy();
    assertThat(caller.waitFor(30, TimeUnit.SECONDS)).isTrue();

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> capsule(Map.of(), "daemon", "status").out().contains("running 0"));
    Result next = capsule(Map.of(), "run", EXAMPLES.resolve("hello.wat").toString(), "--json");
    assertThat(next.exit()).as(next.err()).isZero();
    assertThat(next.startedADaemon()).isFalse();
  }

  @Test
  void twoFirstRunsAtOnceStartOneDaemon() throws Exception {
    String wat = EXAMPLES.resolve("hello.wat").toString();
    Process a = start(work, Map.of(), "a", "run", wat, "--json");
    Process b = start(work, Map.of(), "b", "run", wat, "--json");
    Result ra = finish(a, "a");
    Result rb = finish(b, "b");
    assertThat(ra.exit()).as(ra.err()).isZero();
    assertThat(rb.exit()).as(rb.err()).isZero();
    assertThat(List.of(ra, rb)).filteredOn(Result::startedADaemon).hasSize(1);
    assertThat(ra.err() + rb.err()).doesNotContain("running in this process");
  }

  @Test
  void pythonRunsThroughTheDaemonWhenTheSharedCacheHoldsTheSnapshot() throws Exception {
    try (Sandbox probe =
        Sandbox.create(SandboxConfig.builder().withCacheDir(SHARED_CACHE).build())) {
      Assumptions.assumeTrue(
          probe.isReadyFor(GuestScript.Language.PYTHON),
          "the Python snapshot is not in the shared test cache yet (PythonTaskTest makes it)");
    }
    cache = SHARED_CACHE;
    capsule(Map.of(), "daemon", "stop");
    String hello = EXAMPLES.resolve("python/hello.py").toString();
    Result first = capsule(Map.of(), "run", hello, "--json");
    Result second = capsule(Map.of(), "run", hello, "--json");
    assertThat(first.startedADaemon()).as(first.err()).isTrue();
    // both compile the file (a later run in the daemon starts from its cached code: its fuel may
    // differ by a fraction of a percent, the allocator having another history)
    assertSameOutcome(first, capsule(Map.of(), "run", hello, "--json", "--no-daemon"));
    assertThat(second.envelope().at("/result").asText()).isEqualTo("Hello from Capsule!");
  }

  /** The file probe's {@code data} for {@code OP ARG} with {@code flags}, or null if refused. */
  private String probe(
      Path dir, Map<String, String> env, String flag, String value, String op, String arg)
      throws Exception {
    Result run =
        capsuleIn(dir, env, "run", FILEPROBE.toString(), flag, value, "--json", "--", op, arg);
    assertThat(run.startedADaemon()).isFalse();
    JsonNode result = run.envelope().get("result");
    return result.path("ok").asBoolean() ? result.get("data").asText() : null;
  }

  private static void assertSameOutcome(Result viaDaemon, Result inProcess) {
    assertThat(viaDaemon.exit()).isEqualTo(inProcess.exit());
    JsonNode a = viaDaemon.envelope();
    JsonNode b = inProcess.envelope();
    assertThat(a.get("success")).isEqualTo(b.get("success"));
    assertThat(a.get("result")).isEqualTo(b.get("result"));
    assertThat(a.get("error")).isEqualTo(b.get("error"));
    assertThat(a.at("/execution/fuel_consumed")).isEqualTo(b.at("/execution/fuel_consumed"));
  }

  private long daemonPid() throws Exception {
    Matcher m = PID.matcher(capsule(Map.of(), "daemon", "status").out());
    assertThat(m.find()).isTrue();
    return Long.parseLong(m.group(1));
  }

  private Path socketPath() throws Exception {
    Matcher m =
        Pattern.compile("socket (\\S+)\\)").matcher(capsule(Map.of(), "daemon", "status").out());
    assertThat(m.find()).isTrue();
    return Path.of(m.group(1));
  }

  private Result capsule(Map<String, String> env, String... args) throws Exception {
    return capsuleIn(work, env, args);
  }

  private Result capsuleIn(Path dir, Map<String, String> env, String... args) throws Exception {
    return finish(start(dir, env, "out", args), "out");
  }

  private Process start(Path dir, Map<String, String> env, String name, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(DaemonClient.JVM_FLAGS);
    command.add("-cp");
    command.add(
        MODULE_DIR.resolve("target/capsule-cli.jar")
            + File.pathSeparator
            + MODULE_DIR.resolve("target/lib/*"));
    command.add("-Dcapsule.cache.dir=" + cache);
    command.add("io.capsule.cli.Main");
    command.addAll(List.of(args));
    var builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectOutput(work.resolve(name + ".stdout").toFile())
            .redirectError(work.resolve(name + ".stderr").toFile());
    Map<String, String> environment = builder.environment();
    environment.remove("CAPSULE_NO_DAEMON");
    environment.put("CAPSULE_DAEMON_IDLE_TIMEOUT", "2m");
    environment.putAll(new HashMap<>(env));
    return builder.start();
  }

  private Result finish(Process process, String name) throws Exception {
    assertThat(process.waitFor(180, TimeUnit.SECONDS)).isTrue();
    return new Result(
        process.exitValue(),
        Files.readString(work.resolve(name + ".stdout"), StandardCharsets.UTF_8),
        Files.readString(work.resolve(name + ".stderr"), StandardCharsets.UTF_8));
  }

  private static final String SPIN_WAT =
      """
      (module
        (memory (export "memory") 1)
        (func (export "_start") (loop (br 0))))
      """;

  private static final String TRAP_WAT =
      """
      (module
        (memory (export "memory") 1)
        (func (export "_start") unreachable))
      """;
}
