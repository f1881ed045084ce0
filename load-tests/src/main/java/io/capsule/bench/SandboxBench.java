package io.capsule.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.PreparedModule;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import io.capsule.sandbox.TaskCall;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The sandbox benchmark behind {@code capsule bench sandbox}: per-task cost of a trivial task
 * through the real {@link Sandbox} and on bare Chicory, fuel-metering overhead on the CPU-bound set
 * (compiled, metered vs unmetered), interpreter vs compiled, the same modules under Node's
 * WebAssembly engine as an outside reference, and the first run of a module in a new process with
 * and without the disk compile cache. Prints a Markdown table, then {@code fuel_overhead=X} and,
 * last, {@code instantiate_us=N}. Figures only: nothing here asserts a threshold.
 */
public final class SandboxBench {
  private final boolean quick;
  private final PrintWriter out;
  private final ColdStart coldStart;
  private final Map<String, Long> unmeteredNanos = new HashMap<>();

  /**
   * A benchmark run.
   *
   * @param quick small sizes and few repetitions (for CI: the figures are not meaningful)
   * @param out where the report goes
   * @param coldStart how to start a new process running the CLI, or {@code null} to skip that part
   */
  public SandboxBench(boolean quick, PrintWriter out, ColdStart coldStart) {
    this.quick = quick;
    this.out = out;
    this.coldStart = coldStart;
  }

  /** Runs the CLI in a new JVM. */
  @FunctionalInterface
  public interface ColdStart {
    /**
     * Runs {@code capsule ARGS} in a new process with {@code cacheDir} as its compile cache;
     * returns its wall time in milliseconds.
     */
    long runMillis(List<String> args, Path cacheDir) throws IOException, InterruptedException;
  }

  /** Runs every part and prints the report. */
  public void run() throws IOException, InterruptedException {
    out.println("| measurement | value |");
    out.println("|---|---|");
    double instantiateUs = perTaskCost();
    chicoryInstanceCost();
    double overhead = meteringOverhead();
    interpreterVsCompiled();
    nodeReference();
    coldStart();
    out.println();
    out.printf(Locale.ROOT, "fuel_overhead=%.3f%n", overhead);
    out.printf(Locale.ROOT, "instantiate_us=%.0f%n", instantiateUs);
    out.flush();
  }

  /** Runs the metering part only (metered vs unmetered CPU time) and prints its rows. */
  public void runMetering() {
    out.println("| measurement | value |");
    out.println("|---|---|");
    double overhead = meteringOverhead();
    out.println();
    out.printf(Locale.ROOT, "fuel_overhead=%.3f%n", overhead);
    out.flush();
  }

  private double perTaskCost() {
    var config = SandboxConfig.builder().withCacheDir(null).build();
    try (Sandbox sandbox = Sandbox.create(config)) {
      PreparedModule module = sandbox.prepare(BenchModules.trivial());
      TaskCall call = new TaskCall(TaskOptions.NONE, List.<JsonNode>of());
      int runs = quick ? 200 : 20_000;
      for (int i = 0; i < runs; i++) {
        sandbox.attempt(module, call);
      }
      long[] times = new long[runs];
      for (int i = 0; i < runs; i++) {
        long start = System.nanoTime();
        sandbox.attempt(module, call);
        times[i] = System.nanoTime() - start;
      }
      double us = Latencies.percentile(times, 0.5) / 1e3;
      row(
          "trivial task: fresh instance + run through Sandbox.attempt (warm, median)",
          String.format(
              Locale.ROOT, "%.0f µs (p90 %.0f µs)", us, Latencies.percentile(times, 0.9) / 1e3));
      return us;
    }
  }

  private void chicoryInstanceCost() {
    CpuSubject bare = CpuSubject.plain(BenchModules.trivial(), true, List.of());
    int runs = quick ? 200 : 20_000;
    for (int i = 0; i < runs; i++) {
      bare.instantiateAndRun();
    }
    long[] times = new long[runs];
    for (int i = 0; i < runs; i++) {
      times[i] = bare.instantiateAndRun();
    }
    row(
        "trivial task on bare Chicory: WASI + instance from the compiled factory + _start (warm,"
            + " median)",
        String.format(
            Locale.ROOT,
            "%.1f µs (p90 %.1f µs)",
            Latencies.percentile(times, 0.5) / 1e3,
            Latencies.percentile(times, 0.9) / 1e3));
  }

  private double meteringOverhead() {
    double logSum = 0;
    for (String name : BenchModules.CPU) {
      byte[] wasm = BenchModules.cpu(name);
      CpuSubject plain = CpuSubject.plain(wasm, true, fullArgs(name));
      CpuSubject metered = CpuSubject.metered(wasm, true, fullArgs(name));
      warmUp(plain, metered);
      int runs = quick ? 3 : 7;
      long[] p = new long[runs];
      long[] m = new long[runs];
      for (int i = 0; i < runs; i++) {
        p[i] = plain.run();
        m[i] = metered.run();
      }
      long pm = Latencies.percentile(p, 0.5);
      long mm = Latencies.percentile(m, 0.5);
      unmeteredNanos.put(name, pm);
      double ratio = (double) mm / pm;
      logSum += Math.log(ratio);
      row(
          "metering " + name + " (compiled, metered/unmetered CPU time, median)",
          String.format(
              Locale.ROOT,
              "%.3f× (%s vs %s, fuel %,d)",
              ratio,
              ms(mm),
              ms(pm),
              metered.lastFuel()));
    }
    double geomean = Math.exp(logSum / BenchModules.CPU.size());
    row("metering overhead, geometric mean", String.format(Locale.ROOT, "%.3f×", geomean));
    return geomean;
  }

  private void warmUp(CpuSubject... subjects) {
    long until = System.nanoTime() + (quick ? 200_000_000L : 3_000_000_000L);
    for (int i = 0; i < 3 || System.nanoTime() < until; i++) {
      for (CpuSubject s : subjects) {
        s.run();
      }
    }
  }

  private void interpreterVsCompiled() {
    double logSum = 0;
    for (String name : BenchModules.CPU) {
      byte[] wasm = BenchModules.cpu(name);
      List<String> args = List.of(interpreterSize(name));
      CpuSubject compiled = CpuSubject.metered(wasm, true, args);
      CpuSubject interpreted = CpuSubject.metered(wasm, false, args);
      warmUp(compiled);
      interpreted.run();
      int runs = quick ? 1 : 3;
      long[] cs = new long[runs];
      long[] is = new long[runs];
      for (int r = 0; r < runs; r++) {
        cs[r] = compiled.run();
        is[r] = interpreted.run();
      }
      long c = median(cs);
      long i = median(is);
      logSum += Math.log((double) i / c);
      row(
          "interpreter vs compiled: " + name + " " + args.get(0) + " (metered, CPU time, median)",
          String.format(Locale.ROOT, "%.0f× slower (%s vs %s)", (double) i / c, ms(i), ms(c)));
    }
    row(
        "interpreter vs compiled, geometric mean",
        String.format(Locale.ROOT, "%.0f× slower", Math.exp(logSum / BenchModules.CPU.size())));
  }

  private void nodeReference() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("capsule-bench-node");
    try {
      Optional<NodeReference> node = NodeReference.find(dir);
      if (node.isEmpty()) {
        row("node:wasi reference", "skipped: no `node` on the PATH");
        return;
      }
      String engine = "node " + node.get().version() + " (V8)";
      for (String name : BenchModules.CPU) {
        nodeRow(node.get(), engine, name);
      }
      nodeTrivialRow(node.get(), engine);
    } finally {
      deleteTree(dir);
    }
  }

  private void nodeRow(NodeReference node, String engine, String name) throws InterruptedException {
    String what = engine + ", " + name + ": _start wall time, median";
    try {
      var t =
          node.time(name, BenchModules.cpu(name), quick ? 3 : 7, nodeWarmUpMs(), fullArgs(name));
      long chicory = unmeteredNanos.get(name);
      row(
          what,
          String.format(
              Locale.ROOT,
              "%s (Chicory compiled unmetered %s = %.2f× V8)",
              ms(t.startNanos()),
              ms(chicory),
              (double) chicory / t.startNanos()));
    } catch (IOException e) {
      row(what, "failed: " + e.getMessage());
    }
  }

  private void nodeTrivialRow(NodeReference node, String engine) throws InterruptedException {
    String what = engine + ", trivial task: WASI + instance + _start, median";
    try {
      var t =
          node.time(
              "trivial", BenchModules.trivial(), quick ? 50 : 2000, nodeWarmUpMs(), List.of());
      row(what, String.format(Locale.ROOT, "%.1f µs", t.totalNanos() / 1e3));
    } catch (IOException e) {
      row(what, "failed: " + e.getMessage());
    }
  }

  private long nodeWarmUpMs() {
    return quick ? 100 : 2000;
  }

  /**
   * New JVMs: the CLI's own start-up ({@code --version}), then {@code capsule run} twice per fresh
   * cache directory (the first compiles and fills it, the second loads from it); medians over the
   * repetitions.
   */
  private void coldStart() throws IOException, InterruptedException {
    if (coldStart == null) {
      row("new process runs", "skipped");
      return;
    }
    Path dir = Files.createTempDirectory("capsule-bench-cold");
    try {
      Path task = dir.resolve("lz.wasm");
      Files.write(task, BenchModules.cpu("lz"));
      List<String> run = List.of("run", task.toString(), "--json", "--no-daemon", "--", "4096");
      int reps = quick ? 1 : 3;
      long[] jvm = new long[reps];
      long[] first = new long[reps];
      long[] second = new long[reps];
      long cacheBytes = 0;
      for (int i = 0; i < reps; i++) {
        Path cache = dir.resolve("cache-" + i);
        jvm[i] = coldStart.runMillis(List.of("--version"), cache);
        first[i] = coldStart.runMillis(run, cache);
        cacheBytes = treeSize(cache);
        second[i] = coldStart.runMillis(run, cache);
      }
      String of = reps == 1 ? "" : String.format(Locale.ROOT, " (median of %d)", reps);
      row("new process: `capsule --version` (JVM start, no task)" + of, median(jvm) + " ms");
      row(
          "new process: `capsule run lz.wasm` (26 KB), empty cache: compiles, fills it" + of,
          String.format(
              Locale.ROOT, "%d ms (cache then holds %,d bytes)", median(first), cacheBytes));
      row(
          "new process: `capsule run --no-daemon lz.wasm` again: disk cache hit" + of,
          median(second) + " ms");
    } finally {
      deleteTree(dir);
    }
  }

  private static long median(long[] values) {
    return Latencies.percentile(values, 0.5);
  }

  private static long treeSize(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      long total = 0;
      for (Path p : paths.filter(Files::isRegularFile).toList()) {
        total += Files.size(p);
      }
      return total;
    }
  }

  /** Milliseconds with enough digits for sub-millisecond quick runs. */
  private static String ms(long nanos) {
    double ms = nanos / 1e6;
    return String.format(Locale.ROOT, ms < 10 ? "%.3f ms" : "%.1f ms", ms);
  }

  /** Arguments of a full-size run: the programs' defaults, or small sizes in quick mode. */
  private List<String> fullArgs(String name) {
    return quick ? List.of(interpreterSize(name)) : List.of();
  }

  /** A size the interpreter finishes in well under a second (smaller still in quick mode). */
  private String interpreterSize(String name) {
    switch (name) {
      case "fib":
        return quick ? "15" : "20";
      case "loop":
        return quick ? "20000" : "200000";
      case "qsort":
        return quick ? "2000" : "20000";
      case "matmul":
        return quick ? "16" : "40";
      default:
        return quick ? "4096" : "65536";
    }
  }

  private void row(String what, String value) {
    out.println("| " + what + " | " + value + " |");
    out.flush();
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * Starts {@code mainClass ARGS} in a new JVM with this JVM's classpath and its {@code -X} options
   * (stack size, JIT flags): the usual {@link ColdStart}.
   */
  public static ColdStart processStart(String mainClass) {
    return (args, cacheDir) -> {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
          .filter(a -> a.startsWith("-X"))
          .forEach(cmd::add);
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
      cmd.add("-Dcapsule.cache.dir=" + cacheDir);
      cmd.add(mainClass);
      cmd.addAll(args);
      long start = System.nanoTime();
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      byte[] output = p.getInputStream().readAllBytes();
      if (p.waitFor() != 0) {
        throw new IOException(
            "`capsule "
                + String.join(" ", args)
                + "` failed with exit code "
                + p.exitValue()
                + ": "
                + new String(output, java.nio.charset.StandardCharsets.UTF_8).strip());
      }
      return (System.nanoTime() - start) / 1_000_000;
    };
  }
}
