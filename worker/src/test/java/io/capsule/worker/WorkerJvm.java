package io.capsule.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Workers as separate JVM processes of a test's fleet ({@code WorkerMain} on the test's class path,
 * medium level, one slot), each started once it printed {@code ready}; {@link #close()} resumes and
 * kills whatever is left.
 */
final class WorkerJvm implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final List<Process> processes = new ArrayList<>();

  /** Starts worker {@code workerId} with extra JVM options and worker flags. */
  Process launch(TestFleet fleet, String workerId, List<String> jvm, List<String> flags)
      throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvm);
    String cacheDir = System.getProperty("capsule.cache.dir");
    if (cacheDir != null) {
      command.add("-Dcapsule.cache.dir=" + cacheDir);
    }
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            WorkerMain.class.getName(),
            "--bootstrap-servers",
            fleet.bootstrap(),
            "--levels",
            "medium",
            "--concurrency",
            "1",
            "--topic-prefix",
            fleet.topics().prefix(),
            "--group-id-prefix",
            fleet.topics().prefix(),
            "--worker-id",
            workerId,
            "--shutdown-grace",
            "20s"));
    command.addAll(flags);
    File log = Path.of("target", "worker-" + workerId + ".log").toFile();
    long launched = System.nanoTime();
    Process process =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(log)).start();
    processes.add(process);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    assertThat(line).as("first line of worker %s (see %s)", workerId, log).startsWith("ready");
    System.err.printf(
        "worker %s process ready in %d ms%n", workerId, (System.nanoTime() - launched) / 1_000_000);
    return process;
  }

  /**
   * Sends {@code signal} (e.g. {@code STOP}, {@code CONT}) to the process, as {@code kill} does.
   */
  static void signal(Process process, String signal) throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("kill -%s %d", signal, process.pid()).isZero();
  }

  /** A loopback port free now, for a worker's metrics endpoint. */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** What the worker whose metrics endpoint is on {@code port} answers at {@code /metrics}. */
  static String metrics(int port) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Resumes any stopped process (a stopped one ignores nothing but SIGKILL) and kills it. */
  @Override
  public void close() {
    for (Process process : processes) {
      if (process.isAlive()) {
        try {
          signal(process, "CONT");
        } catch (IOException | InterruptedException | AssertionError e) {
          // it is killed below either way
        }
        process.destroyForcibly();
      }
    }
    processes.clear();
  }
}
