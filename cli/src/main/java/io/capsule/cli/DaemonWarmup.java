package io.capsule.cli;

import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.ExecutionMode;
import io.capsule.sandbox.GuestScript;
import io.capsule.sandbox.PreparedModule;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.TaskCall;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Warms a new daemon up in the background: runs small JavaScript and Python tasks (in-memory
 * sources, nothing from the repository) so that the JIT compiles the interpreters' paths before a
 * caller's second run needs them. A language whose interpreter or Python snapshot is not on disk
 * yet is skipped: the first real task prepares it, and warming would start minutes of work nobody
 * asked for.
 */
final class DaemonWarmup implements Runnable {
  static final String HELLO_JS =
      """
      import { task } from "@capsule-run/sdk";
      export const main = task({ name: "main", compute: "LOW", ram: "64MB" }, (n) => {
        const parts = [];
        for (let i = 0; i < 20; i++) parts.push({ i, s: "x" + i });
        return JSON.parse(JSON.stringify({ hello: "warm", n, parts })).hello;
      });
      """;
  static final String HELLO_PY =
      """
      from capsule import task

      @task(name="main", compute="LOW", ram="64MB")
      def main(n=0):
          parts = [{"i": i, "s": "x" + str(i)} for i in range(20)]
          return {"hello": "warm", "n": n, "count": len(parts)}["hello"]
      """;

  private final DaemonSandboxes sandboxes;
  private final Path home;
  private final int runs;
  private final PrintStream log;
  private final BooleanSupplier busy;

  /**
   * @param runs tasks per language
   * @param busy whether callers' tasks are running: the warm-up waits for them (they come first)
   */
  DaemonWarmup(
      DaemonSandboxes sandboxes, Path home, int runs, PrintStream log, BooleanSupplier busy) {
    this.sandboxes = sandboxes;
    this.home = home;
    this.runs = runs;
    this.log = log;
    this.busy = busy;
  }

  @Override
  public void run() {
    long start = System.nanoTime();
    int js = warm(GuestScript.Language.JAVASCRIPT, "warmup.js", HELLO_JS);
    int py = warm(GuestScript.Language.PYTHON, "warmup.py", HELLO_PY);
    log.printf(
        "capsule daemon: warmed up in %d ms (%d JavaScript, %d Python tasks)%n",
        (System.nanoTime() - start) / 1_000_000, js, py);
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

  /** Runs the task up to {@code runs} times; how many succeeded. */
  private int warm(GuestScript.Language language, String name, String source) {
    Sandbox root = sandboxes.root(ExecutionMode.COMPILED);
    try {
      if (!root.isReadyFor(language)) {
        log.println("capsule daemon: warm-up skips " + name + " (interpreter not prepared yet)");
        return 0;
      }
      Sandbox sandbox = root.forCaller(home, Map.of());
      GuestScript script = GuestScript.of(name, source);
      PreparedModule module = sandbox.prepare(script);
      int ok = 0;
      for (int i = 0; i < runs && !Thread.currentThread().isInterrupted(); i++) {
        awaitIdle();
        var arg = com.fasterxml.jackson.databind.node.IntNode.valueOf(i);
        ResultEnvelope envelope =
            sandbox.run(module, new TaskCall(script.optionsOf("main"), List.of(arg)));
        ok += envelope.success() ? 1 : 0;
      }
      return ok;
    } catch (RuntimeException e) {
      log.println("capsule daemon: warm-up of " + name + " failed: " + e);
      return 0;
    }
  }
}
