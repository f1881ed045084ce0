package io.capsule.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.PreparedModule;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import io.capsule.sandbox.TaskCall;
import io.capsule.sandbox.WatAssembler;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The sandbox benchmark behind {@code capsule bench sandbox}: per-task cost of a trivial task
 * through the real {@link Sandbox}, fuel-metering overhead on CPU-bound modules (compiled, metered
 * vs unmetered), interpreter vs compiled, and the cold first run of a module in a new process with
 * and without the disk compile cache. Prints a Markdown table, then {@code fuel_overhead=X} and,
 * last, {@code instantiate_us=N}. Figures only: nothing here asserts a threshold.
 */
public final class SandboxBench {
  /** The CPU-bound set and the argument that sizes each for a full run. */
  static final List<String> CPU_MODULES = List.of("fib", "loop", "qsort", "matmul", "lz");

  private static final String TRIVIAL_WAT =
      "(module (import \"wasi_snapshot_preview1\" \"fd_write\""
          + " (func $w (param i32 i32 i32 i32) (result i32)))"
          + " (memory (export \"memory\") 1) (data (i32.const 16) \"{}\")"
          + " (func (export \"_start\") (i32.store (i32.const 0) (i32.const 16))"
          + " (i32.store (i32.const 4) (i32.const 2))"
          + " (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))";

  private final boolean quick;
  private final PrintStream out;
  private final ColdStart coldStart;

  /**
   * A benchmark run.
   *
   * @param quick small sizes and few repetitions (for CI: the figures are not meaningful)
   * @param out where the report goes
   * @param coldStart how to start a new process running a task, or {@code null} to skip that part
   */
  public SandboxBench(boolean quick, PrintStream out, ColdStart coldStart) {
    this.quick = quick;
    this.out = out;
    this.coldStart = coldStart;
  }

  /** Starts {@code capsule run FILE} in a new JVM with a given cache directory. */
  @FunctionalInterface
  public interface ColdStart {
    /** Runs the task in a new process and returns its wall time in milliseconds. */
    long runMillis(Path task, Path cacheDir) throws IOException, InterruptedException;
  }

  /** Runs every part and prints the report. */
  public void run() throws IOException, InterruptedException {
    out.println("| measurement | value |");
    out.println("|---|---|");
    double overhead = meteringOverhead();
    interpreterVsCompiled();
    coldStart();
    double instantiateUs = perTaskCost();
    out.printf(Locale.ROOT, "fuel_overhead=%.3f%n", overhead);
    out.printf(Locale.ROOT, "instantiate_us=%.0f%n", instantiateUs);
  }

  private double meteringOverhead() {
    double logSum = 0;
    for (String name : CPU_MODULES) {
      byte[] wasm = cpuModule(name);
      List<String> args = quick ? List.of(quickSize(name)) : List.of();
      CpuSubject plain = CpuSubject.plain(wasm, true, args);
      CpuSubject metered = CpuSubject.metered(wasm, true, args);
      warmUp(plain, metered);
      int runs = quick ? 3 : 7;
      long[] p = new long[runs];
      long[] m = new long[runs];
      for (int i = 0; i < runs; i++) {
        p[i] = plain.run();
        m[i] = metered.run();
      }
      double ratio = median(m) / median(p);
      logSum += Math.log(ratio);
      row(
          "metering " + name + " (compiled, metered/unmetered CPU time)",
          String.format(
              Locale.ROOT,
              "%.3f× (%.1f ms vs %.1f ms, fuel %,d)",
              ratio,
              median(m) / 1e6,
              median(p) / 1e6,
              metered.lastFuel()));
    }
    double geomean = Math.exp(logSum / CPU_MODULES.size());
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
    byte[] wasm = cpuModule("loop");
    List<String> args = List.of(quick ? "20000" : "2000000");
    CpuSubject compiled = CpuSubject.metered(wasm, true, args);
    CpuSubject interpreted = CpuSubject.metered(wasm, false, args);
    warmUp(compiled);
    interpreted.run();
    long c = compiled.run();
    long i = interpreted.run();
    row(
        "interpreter vs compiled (loop, metered)",
        String.format(
            Locale.ROOT, "%.0f× slower (%.2f ms vs %.2f ms)", (double) i / c, i / 1e6, c / 1e6));
  }

  private void coldStart() throws IOException, InterruptedException {
    if (coldStart == null) {
      return;
    }
    Path dir = Files.createTempDirectory("capsule-bench");
    Path task = dir.resolve("lz.wasm");
    Files.write(task, cpuModule("lz"));
    Path cache = dir.resolve("cache");
    long first = coldStart.runMillis(task, cache);
    long second = coldStart.runMillis(task, cache);
    row("new process, first run of lz.wasm (compiles, fills disk cache)", first + " ms");
    row("new process, second run of lz.wasm (disk cache hit)", second + " ms");
  }

  private double perTaskCost() {
    var config = SandboxConfig.builder().withCacheDir(null).build();
    try (Sandbox sandbox = Sandbox.create(config)) {
      PreparedModule module = sandbox.prepare(WatAssembler.assemble(TRIVIAL_WAT));
      TaskCall call = new TaskCall(TaskOptions.NONE, List.<JsonNode>of());
      int warm = quick ? 200 : 20_000;
      for (int i = 0; i < warm; i++) {
        sandbox.attempt(module, call);
      }
      int runs = quick ? 200 : 20_000;
      long[] times = new long[runs];
      for (int i = 0; i < runs; i++) {
        long start = System.nanoTime();
        sandbox.attempt(module, call);
        times[i] = System.nanoTime() - start;
      }
      double us = median(times) / 1e3;
      row(
          "trivial task, fresh instance + run through Sandbox.attempt (warm, median)",
          String.format(Locale.ROOT, "%.0f µs (p90 %.0f µs)", us, percentile(times, 0.9) / 1e3));
      return us;
    }
  }

  private static String quickSize(String name) {
    switch (name) {
      case "fib":
        return "20";
      case "loop":
        return "200000";
      case "qsort":
        return "20000";
      case "matmul":
        return "40";
      default:
        return "65536";
    }
  }

  private void row(String what, String value) {
    out.println("| " + what + " | " + value + " |");
    out.flush();
  }

  static byte[] cpuModule(String name) {
    try (InputStream in = SandboxBench.class.getResourceAsStream("/bench/" + name + ".wasm")) {
      if (in == null) {
        throw new IllegalStateException("benchmark module " + name + ".wasm is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double median(long[] values) {
    return percentile(values, 0.5);
  }

  private static double percentile(long[] values, double p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
  }

  /** Starts {@code mainClass run FILE} with this JVM's classpath: the usual {@link ColdStart}. */
  public static ColdStart processStart(String mainClass) {
    return (task, cacheDir) -> {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add("-Dcapsule.cache.dir=" + cacheDir);
      cmd.add(mainClass);
      cmd.addAll(List.of("run", task.toString(), "--json", "--", "65536"));
      long start = System.nanoTime();
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (p.waitFor() != 0) {
        throw new IOException("the cold-start run failed with exit code " + p.exitValue());
      }
      return (System.nanoTime() - start) / 1_000_000;
    };
  }
}
