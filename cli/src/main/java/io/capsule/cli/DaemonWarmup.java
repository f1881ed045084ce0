package io.capsule.cli;

import io.capsule.sandbox.ExecutionMode;
import io.capsule.sandbox.GuestScript;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * Warms the daemon up for a script language once a caller has run a task in it: runs a few small
 * tasks of that language (sources held here, written to the daemon's own directory; nothing from
 * the repository) through the path a caller's {@code capsule run FILE --json} takes, between
 * callers' tasks, so that the JIT compiles the interpreter's and the request's paths before the
 * caller's next runs need them. A language nobody uses is never warmed (each costs seconds of CPU
 * and heap), nor one whose interpreter or Python snapshot is not on disk yet: the caller's own run
 * prepares it.
 */
final class DaemonWarmup implements AutoCloseable {
  static final String HELLO_JS =
      """
      import { task } from "@capsule-run/sdk";
      export const main = task({ name: "main", compute: "LOW", ram: "64MB" }, () => {
        return "Hello from the warm-up!";
      });
      """;
  static final String HELLO_PY =
      """
      from capsule import task

      @task(name="main", compute="LOW", ram="64MB")
      def main() -> str:
          return "Hello from the warm-up!"
      """;

  /** Runs {@code capsule run ARGS} in the daemon as a request would, output discarded. */
  interface Runner {
    int run(List<String> args, Path cwd);
  }

  private final DaemonSandboxes sandboxes;
  private final Path home;
  private final int runs;
  private final PrintStream log;
  private final BooleanSupplier busy;
  private final Runner runner;
  private final Runnable done;
  private final Set<GuestScript.Language> asked = ConcurrentHashMap.newKeySet();
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "warmup");
            t.setDaemon(true);
            return t;
          });

  /**
   * @param home where the warm-up's task files are written
   * @param runs tasks per language
   * @param busy whether callers' tasks are running: the warm-up waits for them (they come first)
   * @param done called after each language's warm-up (the daemon then gives back heap)
   */
  DaemonWarmup(
      DaemonSandboxes sandboxes,
      Path home,
      int runs,
      PrintStream log,
      BooleanSupplier busy,
      Runner runner,
      Runnable done) {
    this.sandboxes = sandboxes;
    this.home = home;
    this.runs = runs;
    this.log = log;
    this.busy = busy;
    this.runner = runner;
    this.done = done;
  }

  /** A caller ran {@code file}: warms its language up, the first time only. */
  void requested(Path file) {
    GuestScript.Language language = GuestScript.Language.ofFile(file.toString());
    if (runs > 0 && language != null && asked.add(language)) {
      thread.execute(() -> warm(language));
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }

  private void warm(GuestScript.Language language) {
    long start = System.nanoTime();
    Path file = file(language);
    int ok = 0;
    for (int i = 0; file != null && i < runs && !Thread.currentThread().isInterrupted(); i++) {
      awaitIdle();
      try {
        ok += runner.run(List.of(file.toString(), "--json"), file.getParent()) == 0 ? 1 : 0;
      } catch (RuntimeException e) {
        log.println("capsule daemon: warm-up task failed: " + e);
        break;
      }
    }
    if (file != null) {
      log.printf(
          "capsule daemon: warmed up %s in %d ms (%d tasks)%n",
          language.name().toLowerCase(Locale.ROOT), (System.nanoTime() - start) / 1_000_000, ok);
      done.run();
    }
  }

  private void awaitIdle() {
    try {
      while (busy.getAsBoolean()) {
        Thread.sleep(5);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The warm-up file for {@code language}, or {@code null} when it must be skipped. */
  private Path file(GuestScript.Language language) {
    boolean python = language == GuestScript.Language.PYTHON;
    String name = python ? "hello.py" : "hello.js";
    try {
      if (!sandboxes.root(ExecutionMode.COMPILED).isReadyFor(language)) {
        log.println("capsule daemon: warm-up skips " + name + " (interpreter not prepared yet)");
        asked.remove(language); // a later task, after the preparation, asks again
        return null;
      }
      Path dir = Files.createDirectories(home.resolve("warmup"));
      return Files.writeString(dir.resolve(name), python ? HELLO_PY : HELLO_JS);
    } catch (IOException | RuntimeException e) {
      log.println("capsule daemon: warm-up of " + name + " failed: " + e);
      return null;
    }
  }
}
