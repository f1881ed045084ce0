package io.capsule.bench;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.PreparedModule;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import io.capsule.sandbox.TaskCall;
import io.capsule.sandbox.TaskFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The language benchmark behind {@code capsule bench lang}: capsule-run's hello task as {@code
 * hello.js} (QuickJS) and {@code hello.py} (CPython) through the real {@link Sandbox}. For each:
 * the cold first task of a new sandbox in a fresh cache directory (interpreter compile and, for
 * JavaScript, the start-up snapshot included), then the warm median and p99 per task in that
 * sandbox, two {@code capsule run --no-daemon} processes on that cache (wall time and the
 * envelope's {@code duration_ms}), and {@code capsule run} processes through the local daemon (the
 * first starts it, the medians of the next ones; then {@code capsule daemon stop}). For Python also
 * a CPU-bound loop and a realistic mix ({@link #MIX}) against the same code in the machine's {@code
 * python3}, and for JavaScript the same loop and mix against {@code node}. Prints a Markdown table,
 * then {@code lang_js_ms=X}, {@code lang_py_ms=Y} (the warm medians), {@code py_loop_in_task_ratio}
 * (the loop timed inside one task on both sides) and, last, {@code py_loop_ratio}, {@code
 * py_mix_ratio} (geometric mean over the mix), {@code js_loop_ratio}, {@code js_mix_ratio} and
 * {@code interpreted_functions} (functions Chicory left to its interpreter in the interpreters the
 * tasks ran). Figures only: nothing here asserts a threshold.
 *
 * <p>The interpreters themselves are copied from the user's cache when it has them (so the
 * benchmark does not measure {@code npm}). Python's first task in a fresh cache makes its snapshot
 * (minutes), so the quick form runs Python from the user's cache instead, and says so. The
 * CPU-bound rows run one warm task even in the quick form, so that their ratios leave preparation
 * out. In the full form the CPU-bound Python loop runs {@value #LOOP_SETTLE_RUNS} tasks first while
 * the JIT compiles the interpreter's hot pieces (their median is printed too), then {@value
 * #LOOP_WARM_RUNS} measured ones: a task's time falls from ~400 to ~60 ms over its first 20–30
 * tasks, as HotSpot's C2 gets to CPython's eval loop (see {@code docs/function-splitting.md}), and
 * the native side is measured warm too.
 */
public final class LangBench {
  static final String HELLO_JS =
      """
      import { task } from "@capsule-run/sdk";

      export const main = task({
        name: "main",
        compute: "LOW",
        ram: "64MB"
      }, () => {
        return "Hello from Capsule!";
      });
      """;

  static final String HELLO_PY =
      """
      from capsule import task

      @task(name="main", compute="LOW", ram="64MB")
      def main() -> str:
          return "Hello from Capsule!"
      """;

  /** Tasks the Python loop row runs before the measured ones in the full form (JIT warm-up). */
  static final int LOOP_SETTLE_RUNS = 20;

  /** Measured tasks of the Python loop row in the full form, after the settling ones. */
  static final int LOOP_WARM_RUNS = 10;

  /** Iterations of the CPU-bound Python row; the same loop runs in the machine's own python3. */
  static final int LOOP_ITERATIONS = 20_000;

  static final String LOOP_PY =
      """
      from capsule import task

      @task(name="main", compute="HIGH", ram="64MB")
      def main() -> int:
          total = 0
          for i in range(%d):
              total += i
          return total
      """
          .formatted(LOOP_ITERATIONS);

  /** Repetitions of loop.py's loop inside one task for the in-task row (quick form: 5). */
  static final int IN_TASK_REPETITIONS = 40;

  /** The in-task figure is the median of the last this many repetitions. */
  static final int IN_TASK_MEASURED = 10;

  /**
   * Times {@code f()} {@code n} times with {@code time.perf_counter()} and gives the median of the
   * last {@code m} in ms: the in-task row runs this inside one task and in the machine's {@code
   * python3} alike. Inside a task it leaves out the per-task cost (a new instance from the
   * snapshot, about 14 ms warm, which alone is 17× the native loop) and lets HotSpot compile the
   * eval loop on stack within the task, as a long task would.
   */
  static final String TIMED_PY =
      """
      def timed(n, m):
          times = []
          for _ in range(n):
              t = time.perf_counter()
              f()
              times.append((time.perf_counter() - t) * 1000)
          last = sorted(times[-m:])
          return last[len(last) // 2]
      """;

  /** Iterations of the CPU-bound JavaScript row; the same loop runs in the machine's own node. */
  static final int JS_LOOP_ITERATIONS = 100_000;

  static final String LOOP_JS =
      """
      import { task } from "@capsule-run/sdk";

      export const main = task({
        name: "main",
        compute: "HIGH",
        ram: "64MB"
      }, () => {
        return loop();
      });

      %s
      """
          .formatted(jsLoopFunction());

  /**
   * One part of the realistic mix, in both languages: each body is the body of a function {@code
   * f()} run as a task and in the machine's own {@code python3} or {@code node}, with {@code %d}
   * standing for the part's size (a tenth of it in the quick form).
   *
   * @param name the part's name in the report
   * @param size how many records, numbers or items it handles in the full form
   * @param python the Python body
   * @param javascript the JavaScript body
   */
  record MixPart(String name, int size, String python, String javascript) {
    /** The Python body at a {@code divisor} of its size (1 for the full form). */
    String python(int divisor) {
      return python.formatted(Math.max(1, size / divisor));
    }

    /** The JavaScript body at a {@code divisor} of its size (1 for the full form). */
    String javascript(int divisor) {
      return javascript.formatted(Math.max(1, size / divisor));
    }
  }

  /**
   * The realistic mix: a JSON round trip of a ~1 MB document, a regex scan, sorting 100,000
   * numbers, statistics over a CSV (Python's {@code csv} and {@code statistics}; in JavaScript the
   * same by hand, as a script without libraries would).
   */
  static final List<MixPart> MIX =
      List.of(
          new MixPart(
              "csv_statistics",
              20_000,
              """
              import csv, io, statistics
              buf = io.StringIO()
              w = csv.writer(buf)
              for i in range(%d):
                  w.writerow([i, i * 0.5, "n%%d" %% (i %% 13)])
              vals = [float(r[1]) for r in csv.reader(io.StringIO(buf.getvalue()))]
              return round(statistics.mean(vals) + statistics.stdev(vals) + statistics.median(vals), 3)
              """,
              """
              const rows = [];
              for (let i = 0; i < %d; i++) rows.push(i + "," + i * 0.5 + ",n" + (i %% 13));
              const vals = rows.join("\\n").split("\\n").map((l) => parseFloat(l.split(",")[1]));
              const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
              const sq = vals.reduce((a, v) => a + (v - mean) * (v - mean), 0);
              const sorted = vals.slice().sort((a, b) => a - b);
              const mid = sorted.length >> 1;
              const median = sorted.length %% 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
              return Math.round((mean + Math.sqrt(sq / (vals.length - 1)) + median) * 1000) / 1000;
              """),
          new MixPart(
              "json",
              14_000,
              """
              import json
              doc = {"items": [{"id": i, "name": "item%%d" %% i, "tags": ["a", "b", "c"],
                                "price": i * 0.25} for i in range(%d)]}
              text = json.dumps(doc)
              return len(json.dumps(json.loads(text))) + len(text)
              """,
              """
              const doc = { items: [] };
              for (let i = 0; i < %d; i++) {
                doc.items.push({ id: i, name: "item" + i, tags: ["a", "b", "c"], price: i * 0.25 });
              }
              const text = JSON.stringify(doc);
              return JSON.stringify(JSON.parse(text)).length + text.length;
              """),
          new MixPart(
              "regex",
              20_000,
              """
              import re
              text = " ".join("user%%d@example%%d.com word%%d" %% (i, i %% 7, i) for i in range(%d))
              return len(re.findall(r"[a-z0-9]+@[a-z0-9]+\\.com", text))
              """,
              """
              const parts = [];
              for (let i = 0; i < %d; i++) parts.push("user" + i + "@example" + (i %% 7) + ".com word" + i);
              return (parts.join(" ").match(/[a-z0-9]+@[a-z0-9]+\\.com/g) || []).length;
              """),
          new MixPart(
              "sort",
              100_000,
              """
              import random
              rnd = random.Random(42)
              xs = [rnd.random() for _ in range(%d)]
              xs.sort()
              return round(xs[len(xs) // 2], 6)
              """,
              """
              let s = 42;
              const xs = [];
              for (let i = 0; i < %d; i++) {
                s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
                xs.push(s / 4294967296);
              }
              xs.sort((a, b) => a - b);
              return Math.round(xs[xs.length >> 1] * 1e6) / 1e6;
              """));

  private final boolean quick;
  private final PrintWriter out;
  private final Map<String, Integer> interpreted = new TreeMap<>();
  private double pyLoopRatio = Double.NaN;
  private double pyLoopInTaskRatio = Double.NaN;
  private double pyMixRatio = Double.NaN;
  private double jsLoopRatio = Double.NaN;
  private double jsMixRatio = Double.NaN;
  private final String mainClass;
  private final Path userCache;

  /**
   * A benchmark run.
   *
   * @param quick few repetitions, Python once (for CI: the figures are not meaningful)
   * @param out where the report goes
   * @param mainClass the CLI's main class for the new-process runs, or {@code null} to skip them
   */
  public LangBench(boolean quick, PrintWriter out, String mainClass) {
    this.quick = quick;
    this.out = out;
    this.mainClass = mainClass;
    this.userCache = SandboxConfig.defaults().cacheDir();
  }

  /** Runs every part and prints the report. */
  public void run() throws IOException, InterruptedException {
    Path work = Files.createTempDirectory("capsule-bench-lang");
    try {
      out.println("| measurement | value |");
      out.println("|---|---|");
      double js = javascript(work);
      double py = python(work);
      out.printf(Locale.ROOT, "| functions left to Chicory's interpreter | %s |%n", interpreted);
      out.printf(Locale.ROOT, "lang_js_ms=%.1f%n", js);
      out.printf(Locale.ROOT, "lang_py_ms=%.1f%n", py);
      out.println("py_loop_in_task_ratio=" + ratio(pyLoopInTaskRatio));
      out.println("py_loop_ratio=" + ratio(pyLoopRatio));
      out.println("py_mix_ratio=" + ratio(pyMixRatio));
      out.println("js_loop_ratio=" + ratio(jsLoopRatio));
      out.println("js_mix_ratio=" + ratio(jsMixRatio));
      boolean unknown = interpreted.isEmpty() || interpreted.containsValue(-1);
      int total = interpreted.values().stream().mapToInt(Integer::intValue).sum();
      out.println("interpreted_functions=" + (unknown ? "unknown" : String.valueOf(total)));
    } finally {
      deleteTree(work);
    }
  }

  private double javascript(Path work) throws IOException, InterruptedException {
    Path file = write(work, "hello.js", HELLO_JS);
    if (mainClass != null) {
      Path cache = freshCache(work.resolve("cache-js-cli"));
      processRuns("hello.js", file, cache, "QuickJS");
      daemonRuns("hello.js", file, cache);
    }
    Path cache = freshCache(work.resolve("cache-js"));
    double warm = inSandbox("hello.js", file, cache, true, quick ? 20 : 200);
    cpuBoundJavaScript(work, cache);
    javaScriptMix(work, cache);
    return warm;
  }

  /** A CPU-bound JavaScript task (a {@code total += i} loop) beside the same loop in node. */
  private void cpuBoundJavaScript(Path work, Path cache) throws IOException, InterruptedException {
    Path file = write(work, "loop.js", LOOP_JS);
    double sandboxed =
        inSandbox(
            "loop.js (" + JS_LOOP_ITERATIONS + " × `total += i`)",
            file,
            cache,
            false,
            quick ? 1 : 5);
    String script =
        jsLoopFunction()
            + "\nloop();\nconst t = process.hrtime.bigint();\n"
            + "for (let k = 0; k < 20; k++) loop();\n"
            + "console.log((Number(process.hrtime.bigint() - t) / 20 / 1e6).toFixed(3)"
            + " + ' ' + process.version);\n";
    jsLoopRatio = compare(sandboxed, List.of("node", "-e", script), "node", "20 runs, warmed");
  }

  private static String jsLoopFunction() {
    return "function loop() { let total = 0; for (let i = 0; i < "
        + JS_LOOP_ITERATIONS
        + "; i++) { total += i; } return total; }";
  }

  /**
   * The quick form uses the user's cache (its CPython snapshot, if made, is reused); the full form
   * starts from a fresh cache, so the first task pays the whole snapshot preparation (minutes), and
   * then runs two {@code capsule run} processes on that cache.
   */
  private double python(Path work) throws IOException, InterruptedException {
    Path file = write(work, "hello.py", HELLO_PY);
    if (quick) {
      double warm = inSandbox("hello.py", file, userCache, false, 10);
      cpuBoundPython(work, userCache);
      pythonMix(work, userCache);
      return warm;
    }
    Path cache = freshCache(work.resolve("cache-py"));
    double warm = inSandbox("hello.py", file, cache, true, 50);
    cpuBoundPython(work, cache);
    pythonMix(work, cache);
    if (mainClass != null) {
      processRuns("hello.py", file, cache, "CPython");
      daemonRuns("hello.py", file, cache);
    }
    return warm;
  }

  /**
   * A CPU-bound Python task (a {@code total += i} loop): CPython's eval loop is interpreted by
   * Chicory, so this is where Python on the sandbox is slowest; compared with the same loop in the
   * machine's {@code python3} when there is one.
   */
  private void cpuBoundPython(Path work, Path cache) throws IOException, InterruptedException {
    Path file = write(work, "loop.py", LOOP_PY);
    double sandboxed =
        inSandbox(
            "loop.py (" + LOOP_ITERATIONS + " × `total += i`)",
            file,
            cache,
            false,
            quick ? 0 : LOOP_SETTLE_RUNS,
            quick ? 1 : LOOP_WARM_RUNS);
    String nativeLoop = loopFunction();
    pyLoopRatio = comparePython(sandboxed, nativeLoop, 50);
    loopInTask(work, cache, nativeLoop);
  }

  /** loop.py's loop as a function {@code f()}, for the native side and the in-task row. */
  private static String loopFunction() {
    return "def f():\n"
        + "    total = 0\n"
        + "    for i in range("
        + LOOP_ITERATIONS
        + "):\n"
        + "        total += i\n"
        + "    return total\n";
  }

  /**
   * The same loop timed inside one task ({@link #TIMED_PY}), against the same procedure in {@code
   * python3}: {@code py_loop_in_task_ratio}.
   */
  private void loopInTask(Path work, Path cache, String nativeLoop)
      throws IOException, InterruptedException {
    int repetitions = quick ? 5 : IN_TASK_REPETITIONS;
    int measured = Math.min(IN_TASK_MEASURED, repetitions);
    String timing = nativeLoop + TIMED_PY;
    String task =
        "import time\nfrom capsule import task\n\n"
            + timing
            + "\n@task(name=\"main\", compute=\"HIGH\", ram=\"64MB\", timeout=\"300s\")\n"
            + "def main() -> float:\n"
            + "    return timed("
            + repetitions
            + ", "
            + measured
            + ")\n";
    Path file = write(work, "loop_in_task.py", task);
    double millis;
    var config = SandboxConfig.builder().withCacheDir(cache).withFilesRoot(work);
    try (Sandbox sandbox = Sandbox.create(config.build())) {
      TaskFile taskFile = TaskFile.read(file, cache);
      millis =
          check(sandbox.run(sandbox.prepare(taskFile), mainCall(taskFile))).result().asDouble();
    }
    String how = "median of the last " + measured + " of " + repetitions + " repetitions";
    out.printf(
        Locale.ROOT,
        "| loop.py's loop timed inside one task (`time.perf_counter()`, %s in the task) | %.1f ms"
            + " |%n",
        how,
        millis);
    String script =
        "import sys, time\n"
            + timing
            + "print('%.3f %d.%d' % (timed("
            + repetitions
            + ", "
            + measured
            + "), *sys.version_info[:2]))\n";
    pyLoopInTaskRatio =
        compare(millis, List.of("python3", "-c", script), "native CPython", how + ", in-task");
  }

  /**
   * The realistic mix in Python: each part a task of its own (warm median), beside the same code in
   * {@code python3}; {@code py_mix_ratio} is the geometric mean of the parts' ratios.
   */
  private void pythonMix(Path work, Path cache) throws IOException, InterruptedException {
    double logSum = 0;
    for (MixPart part : MIX) {
      String body = part.python(mixDivisor()).indent(4);
      String task =
          "from capsule import task\n\n"
              + "@task(name=\"main\", compute=\"HIGH\", ram=\"256MB\", timeout=\"300s\")\n"
              + "def main():\n"
              + "    return f()\n\n"
              + "def f():\n"
              + body;
      Path file = write(work, "mix_" + part.name() + ".py", task);
      double sandboxed =
          inSandbox("mix: " + part.name() + ".py", file, cache, false, quick ? 1 : 3);
      logSum += Math.log(comparePython(sandboxed, "def f():\n" + body, 5));
    }
    pyMixRatio = Math.exp(logSum / MIX.size());
  }

  /**
   * The realistic mix in JavaScript (QuickJS), beside the same code in {@code node}; {@code
   * js_mix_ratio} is the geometric mean of the parts' ratios.
   */
  private void javaScriptMix(Path work, Path cache) throws IOException, InterruptedException {
    double logSum = 0;
    for (MixPart part : MIX) {
      String function = "function f() {\n" + part.javascript(mixDivisor()).indent(2) + "}\n";
      String task =
          "import { task } from \"@capsule-run/sdk\";\n\n"
              + "export const main = task({ name: \"main\", compute: \"HIGH\", ram: \"256MB\","
              + " timeout: \"300s\" }, () => f());\n\n"
              + function;
      Path file = write(work, "mix_" + part.name() + ".js", task);
      double sandboxed =
          inSandbox("mix: " + part.name() + ".js", file, cache, false, quick ? 1 : 3);
      String script =
          function
              + "f();\nconst t = process.hrtime.bigint();\n"
              + "for (let k = 0; k < 5; k++) f();\n"
              + "console.log((Number(process.hrtime.bigint() - t) / 5 / 1e6).toFixed(3)"
              + " + ' ' + process.version);\n";
      logSum +=
          Math.log(compare(sandboxed, List.of("node", "-e", script), "node", "mean of 5 runs"));
    }
    jsMixRatio = Math.exp(logSum / MIX.size());
  }

  /** The mix runs at a tenth of its sizes in the quick form (whose figures mean nothing). */
  private int mixDivisor() {
    return quick ? 10 : 1;
  }

  /** {@code sandboxed} ÷ the mean time of {@code f()} (defined by {@code code}) in python3. */
  private double comparePython(double sandboxed, String code, int runs)
      throws InterruptedException {
    String script =
        "import sys, time\n"
            + code
            + "\nf()\nt = time.perf_counter()\n"
            + "for _ in range("
            + runs
            + "):\n"
            + "    f()\n"
            + "print('%.3f %d.%d' % ((time.perf_counter() - t) / "
            + runs
            + " * 1000, *sys.version_info[:2]))\n";
    return compare(
        sandboxed, List.of("python3", "-c", script), "native CPython", "mean of " + runs + " runs");
  }

  /**
   * Runs {@code command}, which prints its mean time in ms and its version, prints the row and
   * returns {@code sandboxed} ÷ that time (NaN when the command is missing or fails).
   */
  private double compare(double sandboxed, List<String> command, String what, String how)
      throws InterruptedException {
    try {
      Process process =
          new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String[] answer =
          new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
              .strip()
              .split(" ");
      if (process.waitFor() != 0 || answer.length != 2) {
        throw new IOException(command.get(0) + " failed");
      }
      double millis = Double.parseDouble(answer[0]);
      out.printf(
          Locale.ROOT,
          "| the same code in this machine's %s %s (%s) | %.2f ms: the sandbox takes %.0f× as"
              + " long |%n",
          what,
          answer[1],
          how,
          millis,
          sandboxed / millis);
      return sandboxed / millis;
    } catch (IOException | NumberFormatException e) {
      out.printf(
          Locale.ROOT, "| the same code in %s | no `%s` on the PATH |%n", what, command.get(0));
      return Double.NaN;
    }
  }

  private static String ratio(double value) {
    return Double.isNaN(value) ? "unknown" : String.format(Locale.ROOT, "%.1f", value);
  }

  private void processRuns(String name, Path file, Path cache, String interpreter)
      throws IOException, InterruptedException {
    for (String which : List.of("first", "second")) {
      boolean filled = which.equals("second") || name.endsWith(".py");
      ProcessRun run = runProcess(file, cache, "--no-daemon");
      out.printf(
          Locale.ROOT,
          "| %s, %s `capsule run --no-daemon` in a new process (%s) | wall %d ms, task %d ms |%n",
          name,
          which,
          filled
              ? "disk caches already filled"
              : "fresh cache directory: compiles " + interpreter + ", makes the snapshot",
          run.wallMillis(),
          run.taskMillis());
    }
  }

  /**
   * {@code capsule run} processes through the local daemon on {@code cache}: the first starts it,
   * then {@code runs} more right after (while the daemon may still be warming up in the
   * background); prints the medians of those, then stops the daemon.
   */
  private void daemonRuns(String name, Path file, Path cache)
      throws IOException, InterruptedException {
    int runs = quick ? 3 : 10;
    try {
      ProcessRun first = runProcess(file, cache);
      long[] task = new long[runs];
      long[] wall = new long[runs];
      for (int i = 0; i < runs; i++) {
        ProcessRun run = runProcess(file, cache);
        task[i] = run.taskMillis();
        wall[i] = run.wallMillis();
      }
      Arrays.sort(task);
      Arrays.sort(wall);
      out.printf(
          Locale.ROOT,
          "| %s, `capsule run` through the local daemon: the first starts it (wall %d ms, task %d"
              + " ms), then %d more | task median %d ms (max %d), wall median %d ms |%n",
          name,
          first.wallMillis(),
          first.taskMillis(),
          runs,
          task[runs / 2],
          task[runs - 1],
          wall[runs / 2]);
      Process status = command(cache, List.of("daemon", "status")).start();
      String resident =
          new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
              .lines()
              .filter(l -> l.startsWith("resident memory "))
              .map(l -> l.substring("resident memory ".length()))
              .findFirst()
              .orElse("unknown");
      out.printf(
          Locale.ROOT,
          "| %s, the daemon's resident memory after these runs | %s |%n",
          name,
          resident);
    } finally {
      command(cache, List.of("daemon", "stop")).start().waitFor();
    }
  }

  /**
   * The first task of a new sandbox (preparation included), then {@code warmRuns} more; prints both
   * and returns the warm median, or the first task's time when there are no warm runs.
   */
  private double inSandbox(String name, Path file, Path cache, boolean fresh, int warmRuns)
      throws IOException {
    return inSandbox(name, file, cache, fresh, 0, warmRuns);
  }

  /**
   * The same, with {@code settleRuns} tasks between the first and the measured ones (their median
   * printed as a row of its own): a CPU-bound task is still being compiled by the JIT for its first
   * few dozen runs.
   */
  private double inSandbox(
      String name, Path file, Path cache, boolean fresh, int settleRuns, int warmRuns)
      throws IOException {
    var config = SandboxConfig.builder().withCacheDir(cache).withFilesRoot(file.getParent());
    try (Sandbox sandbox = Sandbox.create(config.build())) {
      long start = System.nanoTime();
      TaskFile task = TaskFile.read(file, cache);
      PreparedModule module = sandbox.prepare(task);
      TaskCall call = mainCall(task);
      ResultEnvelope first = check(sandbox.run(module, call));
      double cold = (System.nanoTime() - start) / 1e6;
      interpreted.put(
          file.getFileName().toString().endsWith(".py") ? "CPython" : "QuickJS",
          module.interpretedFunctions());
      out.printf(
          Locale.ROOT,
          "| %s, first task of a new sandbox (%s; preparation included) | %.0f ms (task %d ms,"
              + " fuel %,d) |%n",
          name,
          fresh ? "fresh cache directory" : "compile cache already filled",
          cold,
          first.execution().durationMs(),
          first.execution().fuelConsumed());
      if (warmRuns == 0) {
        out.printf(Locale.ROOT, "| %s, warm | not run in the quick form |%n", name);
        return cold;
      }
      if (settleRuns > 0) {
        double[] settling = time(sandbox, module, call, settleRuns);
        out.printf(
            Locale.ROOT,
            "| %s, tasks 2–%d of the sandbox, while the JIT compiles | median %.1f ms, max %.1f ms"
                + " |%n",
            name,
            settleRuns + 1,
            settling[settleRuns / 2],
            settling[settleRuns - 1]);
      }
      double[] millis = time(sandbox, module, call, warmRuns);
      double median = millis[warmRuns / 2];
      double p99 = millis[Math.min(warmRuns - 1, (int) Math.ceil(warmRuns * 0.99) - 1)];
      out.printf(
          Locale.ROOT,
          "| %s, warm per task in one sandbox (%d runs%s) | median %.1f ms, p99 %.1f ms |%n",
          name,
          warmRuns,
          settleRuns > 0 ? ", after " + (settleRuns + 1) : "",
          median,
          p99);
      return median;
    }
  }

  /** A call of the file's task {@code main}, with its own declared options and no arguments. */
  private static TaskCall mainCall(TaskFile task) {
    return new TaskCall(task.bakedOptions().toBuilder().name("main").build(), List.of());
  }

  /** Runs {@code call} {@code runs} times; the times in ms, sorted. */
  private static double[] time(Sandbox sandbox, PreparedModule module, TaskCall call, int runs) {
    double[] millis = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t = System.nanoTime();
      check(sandbox.run(module, call));
      millis[i] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(millis);
    return millis;
  }

  private static ResultEnvelope check(ResultEnvelope envelope) {
    if (!envelope.success()) {
      throw new IllegalStateException("the benchmark task failed: " + envelope);
    }
    return envelope;
  }

  private record ProcessRun(long wallMillis, long taskMillis) {}

  /** {@code capsule run FILE --json [FLAGS]} in a new JVM with the launcher's flags. */
  private ProcessRun runProcess(Path file, Path cache, String... flags)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("run", file.toString(), "--json"));
    args.addAll(List.of(flags));
    long start = System.nanoTime();
    Process p = command(cache, args).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] stdout = p.getInputStream().readAllBytes();
    if (p.waitFor() != 0) {
      throw new IOException("capsule run failed with exit code " + p.exitValue());
    }
    long wall = (System.nanoTime() - start) / 1_000_000;
    var envelope =
        CapsuleJson.read(new String(stdout, StandardCharsets.UTF_8), ResultEnvelope.class);
    return new ProcessRun(wall, check(envelope).execution().durationMs());
  }

  /** {@code capsule ARGS} in a new JVM with the launcher's flags, daemon allowed. */
  private ProcessBuilder command(Path cache, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of(
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=4",
            "-XX:-DontCompileHugeMethods",
            "-Xss8m"));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
    cmd.add("-Dcapsule.cache.dir=" + cache);
    cmd.add(mainClass);
    cmd.addAll(args);
    var builder = new ProcessBuilder(cmd);
    builder.environment().remove("CAPSULE_NO_DAEMON");
    return builder;
  }

  /** A new cache directory holding only the interpreters already downloaded, if any. */
  private Path freshCache(Path dir) throws IOException {
    Path from = userCache == null ? null : userCache.resolve("interpreters");
    Files.createDirectories(dir.resolve("interpreters"));
    if (from != null && Files.isDirectory(from)) {
      try (Stream<Path> files = Files.list(from)) {
        // Only the downloads: a derived interpreter (the resumable CPython) is made afresh.
        for (Path f :
            files
                .filter(Files::isRegularFile)
                .filter(p -> !p.getFileName().toString().startsWith("cpython-resumable"))
                .toList()) {
          Files.copy(f, dir.resolve("interpreters").resolve(f.getFileName()));
        }
      }
    }
    return dir;
  }

  private static Path write(Path dir, String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
