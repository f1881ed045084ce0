package io.capsule.cli;

import io.capsule.sandbox.ExecutionMode;
import io.capsule.sandbox.GuestScript;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Warms a new daemon up in the background: runs small JavaScript and Python tasks (sources held
 * here, written to the daemon's own directory; nothing from the repository) through the same path a
 * caller's {@code capsule run FILE --json} takes, so that the JIT compiles the interpreters' and
 * the request's paths before a caller's second run needs them. A language whose interpreter or
 * Python snapshot is not on disk yet is skipped: the first real task prepares it, and warming would
 * start minutes of work nobody asked for.
 */
final class DaemonWarmup implements Runnable {
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

  private static final int FIRST_REQUEST_WAIT_MS = 3_000;

  /** Runs {@code capsule run ARGS} in the daemon as a request would, output discarded. */
  interface Runner {
    int run(List<String> args, Path cwd);
  }

  private final DaemonSandboxes sandboxes;
  private final Path home;
  private final int runs;
  private final PrintStream log;
  private final BooleanSupplier busy;
  private final Supplier<String> recentFile;
  private final Runner runner;

  /**
   * @param home where the warm-up's task files are written
   * @param runs tasks per language
   * @param busy whether callers' tasks are running: the warm-up waits for them (they come first)
   * @param recentFile the latest caller's task file (or {@code null}): its language warms first
   */
  DaemonWarmup(
      DaemonSandboxes sandboxes,
      Path home,
      int runs,
      PrintStream log,
      BooleanSupplier busy,
      Supplier<String> recentFile,
      Runner runner) {
    this.sandboxes = sandboxes;
    this.home = home;
    this.runs = runs;
    this.log = log;
    this.busy = busy;
    this.recentFile = recentFile;
    this.runner = runner;
  }

  /**
   * One language after the other (alternating them measured worse for both on two cores): first the
   * language of the task that started the daemon — its caller's next run is the likeliest next
   * request — then the other. The client that starts the daemon sends its task at once, so the
   * warm-up waits a moment for it.
   */
  @Override
  public void run() {
    long start = System.nanoTime();
    try {
      for (int i = 0; i < FIRST_REQUEST_WAIT_MS / 10 && recentFile.get() == null; i++) {
        Thread.sleep(10);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    awaitIdle();
    String first = recentFile.get();
    boolean pythonFirst = first != null && first.endsWith(".py");
    int py = pythonFirst ? warmPython() : 0;
    int js = warm(file(GuestScript.Language.JAVASCRIPT, "hello.js", HELLO_JS));
    py = pythonFirst ? py : warmPython();
    log.printf(
        "capsule daemon: warmed up in %d ms (%d JavaScript, %d Python tasks; %s first)%n",
        (System.nanoTime() - start) / 1_000_000, js, py, pythonFirst ? "Python" : "JavaScript");
  }

  private int warmPython() {
    return warm(file(GuestScript.Language.PYTHON, "hello.py", HELLO_PY));
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
  private Path file(GuestScript.Language language, String name, String source) {
    try {
      if (runs == 0 || !sandboxes.root(ExecutionMode.COMPILED).isReadyFor(language)) {
        log.println("capsule daemon: warm-up skips " + name + " (interpreter not prepared yet)");
        return null;
      }
      Path dir = Files.createDirectories(home.resolve("warmup"));
      return Files.writeString(dir.resolve(name), source);
    } catch (IOException | RuntimeException e) {
      log.println("capsule daemon: warm-up of " + name + " failed: " + e);
      return null;
    }
  }

  /** Runs the task {@code runs} times, each after callers' tasks; how many succeeded. */
  private int warm(Path file) {
    int ok = 0;
    for (int i = 0; file != null && i < runs && !Thread.currentThread().isInterrupted(); i++) {
      awaitIdle();
      try {
        ok += runner.run(List.of(file.toString(), "--json"), file.getParent()) == 0 ? 1 : 0;
      } catch (RuntimeException e) {
        log.println("capsule daemon: warm-up task failed: " + e);
        return ok;
      }
    }
    return ok;
  }
}
