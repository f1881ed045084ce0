package io.capsule.bench;

import io.capsule.sandbox.SandboxConfig;
import io.capsule.worker.OutputMode;
import io.capsule.worker.WorkerMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Workers as child JVMs ({@link WorkerMain} on this process's class path) consuming the LOW level
 * of one topic prefix: the fleet's scale-out shape, each worker paying for its own JIT, heap and
 * Kafka clients as it does when deployed. Their CPU time is read from the operating system ({@link
 * ProcessHandle.Info#totalCpuDuration}).
 */
final class FleetWorkerProcesses implements AutoCloseable {
  private static final Duration READY = Duration.ofMinutes(3);
  private static final Duration STOP = Duration.ofSeconds(30);

  private final List<Process> processes = new ArrayList<>();
  private final Path log;

  /**
   * Starts {@code count} workers of {@code concurrency} task threads; waits until each is ready.
   */
  FleetWorkerProcesses(
      String servers, String prefix, int count, int concurrency, OutputMode outputs)
      throws IOException {
    this.log = Files.createTempFile("capsule-bench-workers", ".log");
    try {
      List<CompletableFuture<Void>> ready = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Process process =
            new ProcessBuilder(command(servers, prefix, i, concurrency, outputs))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        processes.add(process);
        ready.add(readyLine(process));
      }
      CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new))
          .get(READY.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      stop();
      throw new IOException(
          "worker processes did not start within " + READY + " (their stderr: " + log + "): " + e,
          e);
    }
  }

  private static List<String> command(
      String servers, String prefix, int index, int concurrency, OutputMode outputs) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The launcher's settings (see the capsule script) and a heap that suits a worker.
    command.addAll(
        List.of("-XX:+UseSerialGC", "-XX:-DontCompileHugeMethods", "-Xss8m", "-Xmx512m"));
    Path cache = SandboxConfig.defaultCacheDir();
    if (cache != null) {
      command.add("-Dcapsule.cache.dir=" + cache);
    }
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            WorkerMain.class.getName(),
            "--bootstrap-servers",
            servers,
            "--topic-prefix",
            prefix,
            "--levels",
            "low",
            "--concurrency",
            Integer.toString(concurrency),
            "--worker-id",
            "bench-process-" + index,
            "--create-topics",
            "false",
            "--outputs",
            outputs.name().toLowerCase(Locale.ROOT)));
    return command;
  }

  /** Completes when the worker prints its ready line; drains its output after that. */
  private static CompletableFuture<Void> readyLine(Process process) {
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (var lines =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                  if (line.startsWith("ready worker=")) {
                    ready.complete(null);
                  }
                }
              } catch (IOException e) {
                ready.completeExceptionally(e);
              }
              ready.completeExceptionally(new IOException("worker exited before it was ready"));
            },
            "bench-worker-output");
    reader.setDaemon(true);
    reader.start();
    return ready;
  }

  /** The CPU time every worker process has used so far, in nanoseconds. */
  long cpuNanos() {
    long total = 0;
    for (Process process : processes) {
      total += process.info().totalCpuDuration().orElse(Duration.ZERO).toNanos();
    }
    return total;
  }

  /**
   * Asks every worker to drain and stop (SIGTERM), kills those still running after 30 s, and
   * deletes their log.
   */
  @Override
  public void close() {
    stop();
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // a temporary file: nothing depends on it
    }
  }

  private void stop() {
    processes.forEach(Process::destroy);
    for (Process process : processes) {
      try {
        if (!process.waitFor(STOP.toSeconds(), TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(STOP.toSeconds(), TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }
}
