package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Python ({@code clients/python}) and TypeScript ({@code clients/typescript}) clients' own test
 * suites, run with their real Kafka libraries (confluent-kafka, kafkajs) against one {@code capsule
 * up} in a separate process, and the README's agent examples, all at once. Each one's log is kept
 * in {@code target/clients-*.log}. A suite whose library cannot be installed here is skipped,
 * saying so.
 */
class ClientsIT {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final Path PYTHON_CLIENT = REPO.resolve("clients/python");
  private static final Path TYPESCRIPT_CLIENT = REPO.resolve("clients/typescript");
  private static final long SUITE_BOUND_MINUTES = 6;

  private static Process up;
  private static Suite python;
  private static Suite typescript;
  private static Suite pythonAgent;
  private static Suite typescriptAgent;

  @BeforeAll
  static void startFleetAndSuites() throws Exception {
    up = new ProcessBuilder(cli("up")).redirectError(log("clients-up.log")).start();
    Optional<String> npm = installTypeScriptClient();
    String servers = bootstrapOf(up);
    Map<String, String> env =
        Map.of(
            "CAPSULE_BOOTSTRAP_SERVERS",
            servers,
            "CAPSULE_COMMAND",
            String.join(" ", cli()),
            "CAPSULE_NO_DAEMON",
            "1",
            "PYTHONDONTWRITEBYTECODE",
            "1",
            "PYTHONPATH",
            PYTHON_CLIENT.toString());
    Optional<String> py = pythonWithConfluentKafka();
    String noPython = "no python3 with confluent_kafka (python3-confluent-kafka)";
    python =
        py.map(p -> Suite.start("python", PYTHON_CLIENT, env, p, "-m", "unittest", "-v"))
            .orElseGet(() -> Suite.skipped(noPython));
    typescript =
        npm.isEmpty()
            ? Suite.start("typescript", TYPESCRIPT_CLIENT, env, "node", "--test", "test/")
            : Suite.skipped(npm.get());
    // the README's agent examples, each as its one command
    pythonAgent =
        py.map(p -> Suite.start("python-agent", REPO, env, p, "examples/agents/agent.py"))
            .orElseGet(() -> Suite.skipped(noPython));
    typescriptAgent =
        npm.isEmpty()
            ? Suite.start("typescript-agent", TYPESCRIPT_CLIENT, env, "npm", "run", "agent")
            : Suite.skipped(npm.get());
  }

  @Test
  void pythonClientSuitePassesAgainstTheFleet() throws Exception {
    Suite.Outcome outcome = python.finish();
    assertThat(outcome.log()).as("unittest discovers the fleet tests").contains("FleetTest");
    assertThat(outcome.log())
        .as("nothing skipped: fleet and local command are given")
        .doesNotContain("... skipped '", "(skipped=");
    assertThat(outcome.log()).containsPattern("Ran \\d+ tests").contains("\nOK");
  }

  @Test
  void typeScriptClientSuitePassesAgainstTheFleet() throws Exception {
    Suite.Outcome outcome = typescript.finish();
    assertThat(outcome.log()).contains("# fail 0").contains("# skipped 0");
    assertThat(outcome.log()).contains("one hundred mixed tasks get one hundred correct envelopes");
  }

  @Test
  void pythonAgentExampleFeedsEnvelopesBackIncludingFuelExhaustedAndRetried() throws Exception {
    assertAgentTranscript(pythonAgent.finish().log());
  }

  @Test
  void typeScriptAgentExampleFeedsEnvelopesBackIncludingFuelExhaustedAndRetried() throws Exception {
    assertAgentTranscript(typescriptAgent.finish().log());
  }

  private static void assertAgentTranscript(String log) {
    assertThat(log)
        .contains("fleet  -> call_2: fuel_exhausted result=null retries=0 fuel=3000000")
        .contains("fleet  -> call_3: task_error result=null retries=2")
        .contains("answer -> sum of squares 30; bounded loop 499500; 2 tool calls failed");
  }

  @AfterAll
  static void stopEverything() throws InterruptedException {
    for (Suite suite : new Suite[] {python, typescript, pythonAgent, typescriptAgent}) {
      if (suite != null) {
        suite.destroy();
      }
    }
    if (up != null) {
      up.descendants().forEach(ProcessHandle::destroy);
      up.toHandle().destroy(); // SIGTERM: a clean stop of broker and workers
      if (!up.waitFor(30, TimeUnit.SECONDS)) {
        up.destroyForcibly();
      }
    }
  }

  /** The command that starts the packaged CLI, as ./capsule does, with caches under target/. */
  private static List<String> cli(String... args) {
    Path module = Path.of("").toAbsolutePath();
    List<String> line =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx768m",
                "-XX:-DontCompileHugeMethods",
                "-Xss8m",
                "-Dcapsule.cache.dir="
                    + module.resolve(
                        System.getProperty("capsule.cache.dir", "target/capsule-cache")),
                "-cp",
                module.resolve("target/capsule-cli.jar")
                    + File.pathSeparator
                    + module.resolve("target/lib/*"),
                "io.capsule.cli.Main"));
    line.addAll(List.of(args));
    return line;
  }

  private static String bootstrapOf(Process up) throws Exception {
    var out =
        new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8));
    String line = CompletableFuture.supplyAsync(() -> readLine(out)).get(120, TimeUnit.SECONDS);
    assertThat(line).as("capsule up's ready line").startsWith("ready bootstrap=");
    return line.split(" ")[1].substring("bootstrap=".length());
  }

  /** npm ci (its prepare script compiles the client); empty when done, else why it was not. */
  private static Optional<String> installTypeScriptClient() throws Exception {
    Optional<String> npm = Suite.run(TYPESCRIPT_CLIENT, "npm", "ci", "--no-audit", "--no-fund");
    return npm.map(why -> "kafkajs could not be installed with npm ci: " + why);
  }

  private static Optional<String> pythonWithConfluentKafka() {
    for (String candidate : List.of("python3", "/usr/bin/python3")) {
      try {
        if (Suite.run(PYTHON_CLIENT, candidate, "-c", "import confluent_kafka").isEmpty()) {
          return Optional.of(candidate);
        }
      } catch (Exception e) {
        // not this one
      }
    }
    return Optional.empty();
  }

  private static File log(String name) {
    return Path.of("target", name).toFile();
  }

  private static String readLine(BufferedReader reader) {
    try {
      return reader.readLine();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** One client's test suite running as a subprocess, its output in a log file. */
  private record Suite(String name, Process process, Path log, String skipReason) {
    record Outcome(int exitCode, String log) {}

    static Suite start(String name, Path dir, Map<String, String> env, String... command) {
      Path log = Path.of("target", "clients-" + name + ".log").toAbsolutePath();
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      builder.environment().putAll(env);
      try {
        return new Suite(name, builder.start(), log, null);
      } catch (IOException e) {
        return skipped("cannot start " + command[0] + ": " + e.getMessage());
      }
    }

    static Suite skipped(String reason) {
      return new Suite("skipped", null, null, reason);
    }

    /** Runs a short command to its end; empty when it exited 0, else its output's last line. */
    static Optional<String> run(Path dir, String... command) throws Exception {
      Process process;
      try {
        process =
            new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      } catch (IOException e) {
        return Optional.of(command[0] + " is not available: " + e.getMessage());
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(5, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        return Optional.of(String.join(" ", command) + " took over 5 minutes");
      }
      String[] lines = output.strip().split("\n");
      return process.exitValue() == 0
          ? Optional.empty()
          : Optional.of("exit " + process.exitValue() + ": " + lines[lines.length - 1]);
    }

    Outcome finish() throws Exception {
      assumeThat(skipReason).as(String.valueOf(skipReason)).isNull();
      boolean ended = process.waitFor(SUITE_BOUND_MINUTES, TimeUnit.MINUTES);
      String text = Files.readString(log);
      System.err.printf("--- %s client suite ---%n%s%n", name, tail(text));
      assertThat(ended).as(name + " suite ended within its bound").isTrue();
      assertThat(process.exitValue()).as(name + " suite's exit code; log: " + log).isZero();
      return new Outcome(process.exitValue(), text);
    }

    void destroy() {
      if (process != null && process.isAlive()) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    }

    private static String tail(String text) {
      return text.length() <= 6000 ? text : "…" + text.substring(text.length() - 6000);
    }
  }
}
