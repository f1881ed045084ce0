package io.capsule.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.capsule.bench.FleetBench;
import io.capsule.bench.SandboxBench;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code capsule bench sandbox [--quick]}: benchmarks that print figures, never assert them. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks that print figures (see BENCHMARKS.md).",
    subcommands = {
      BenchCommand.SandboxCommand.class,
      BenchCommand.FleetCommand.class,
      BenchLangCommand.class
    })
final class BenchCommand {

  /** The sandbox benchmark. */
  @Command(
      name = "sandbox",
      mixinStandardHelpOptions = true,
      description =
          "Per-task cost, fuel-metering overhead, interpreter vs compiled, cold start in a new"
              + " process. Prints a Markdown table, then fuel_overhead=X and instantiate_us=N.")
  static final class SandboxCommand implements Callable<Integer> {
    @Option(
        names = "--quick",
        description = "Small sizes, few runs (for CI; figures not meaningful).")
    boolean quick;

    @Option(names = "--no-cold-start", description = "Skip the new-process cold-start runs.")
    boolean noColdStart;

    @Option(
        names = "--write",
        paramLabel = "FILE",
        description = "Also write the report into FILE's sandbox section (e.g. BENCHMARKS.md).")
    Path write;

    @Override
    public Integer call() throws Exception {
      var coldStart = noColdStart ? null : SandboxBench.processStart(Main.class.getName());
      var report = new ByteArrayOutputStream();
      var out = new PrintStream(new TeeOutputStream(System.out, report), true, UTF_8);
      new SandboxBench(quick, out, coldStart).run();
      if (write != null) {
        String command = "./capsule bench sandbox" + (quick ? " --quick" : "");
        BenchmarksFile.writeSection(write, "sandbox", command, report.toString(UTF_8));
      }
      return 0;
    }
  }

  /** The fleet benchmark against the raw Kafka ceiling. */
  @Command(
      name = "fleet",
      mixinStandardHelpOptions = true,
      description =
          "End-to-end throughput and latency of trivial tasks through real workers, and the raw"
              + " Kafka ceiling of the same pipeline on the same broker. Prints ratio=X last.")
  static final class FleetCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "A few hundred tasks (for CI).")
    boolean quick;

    @Option(names = "--workers", paramLabel = "N", description = "In-process workers (default 2).")
    int workers = 2;

    @Option(
        names = "--concurrency",
        paramLabel = "N",
        description = "Task threads per worker (default 2, the worker's default).")
    int concurrency = 2;

    @Option(names = "--tasks", paramLabel = "N", description = "Tasks per pipeline (default 5000).")
    Integer tasks;

    @Option(
        names = "--bootstrap-servers",
        paramLabel = "HOST:PORT",
        description = "An existing cluster (default: an embedded broker).")
    String servers;

    @Option(
        names = "--write",
        paramLabel = "FILE",
        description = "Also write the report into FILE.")
    Path write;

    @Override
    public Integer call() throws Exception {
      int count = tasks != null ? tasks : quick ? 300 : 5000;
      var report = new ByteArrayOutputStream();
      var out = new PrintStream(new TeeOutputStream(System.out, report), true, UTF_8);
      new FleetBench(workers, concurrency, count, servers, out).run();
      if (write != null) {
        String command =
            "./capsule bench fleet --workers "
                + workers
                + " --concurrency "
                + concurrency
                + " --tasks "
                + count;
        BenchmarksFile.writeSection(write, "fleet", command, report.toString(UTF_8));
      }
      return 0;
    }
  }

  /** Copies everything written to two streams. */
  private static final class TeeOutputStream extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    TeeOutputStream(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int value) throws IOException {
      a.write(value);
      b.write(value);
    }

    @Override
    public void write(byte[] bytes, int off, int len) throws IOException {
      a.write(bytes, off, len);
      b.write(bytes, off, len);
    }

    @Override
    public void flush() throws IOException {
      a.flush();
      b.flush();
    }
  }
}
