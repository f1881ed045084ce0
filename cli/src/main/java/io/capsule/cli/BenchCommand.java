package io.capsule.cli;

import static java.util.stream.Collectors.joining;

import io.capsule.bench.FleetBench;
import io.capsule.bench.FleetBenchOptions;
import io.capsule.bench.SandboxBench;
import io.capsule.worker.OutputMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code capsule bench sandbox|fleet|lang|chaos}: benchmarks that print figures, never assert them.
 * With {@code --write FILE} the report also replaces its marked section of FILE (BENCHMARKS.md),
 * headed by the command, the machine and the date.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks that print figures (see BENCHMARKS.md).",
    subcommands = {
      BenchCommand.SandboxCommand.class,
      BenchCommand.FleetCommand.class,
      BenchLangCommand.class,
      BenchChaosCommand.class
    })
final class BenchCommand {

  /** The sandbox benchmark. */
  @Command(
      name = "sandbox",
      mixinStandardHelpOptions = true,
      description =
          "Per-task cost, fuel-metering overhead, interpreter vs compiled, Node's engine as a"
              + " reference, first run in a new process. Prints a Markdown table, then"
              + " fuel_overhead=X and instantiate_us=N.")
  static final class SandboxCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--quick",
        description = "Small sizes, few runs (for CI; figures not meaningful).")
    boolean quick;

    @Option(names = "--no-cold-start", description = "Skip the new-process runs.")
    boolean noColdStart;

    @Option(
        names = "--only",
        paramLabel = "PART",
        description = "Run one part only: metering (not written with --write).")
    String only;

    @Option(
        names = "--write",
        paramLabel = "FILE",
        description = "Also write the report into FILE's sandbox section (e.g. BENCHMARKS.md).")
    Path write;

    @Override
    public Integer call() throws Exception {
      if ("metering".equals(only)) {
        new SandboxBench(quick, spec.commandLine().getOut(), null).runMetering();
        return 0;
      }
      if (only != null) {
        throw new ParameterException(spec.commandLine(), "--only takes: metering");
      }
      var coldStart = noColdStart ? null : SandboxBench.processStart(Main.class.getName());
      var report = new StringWriter();
      new SandboxBench(quick, tee(spec, report), coldStart).run();
      if (write != null) {
        String command =
            "./capsule bench sandbox"
                + (quick ? " --quick" : "")
                + (noColdStart ? " --no-cold-start" : "");
        BenchmarksFile.writeSection(write, "sandbox", command, report.toString());
      }
      return 0;
    }
  }

  /** The fleet benchmark against the raw Kafka ceiling. */
  @Command(
      name = "fleet",
      mixinStandardHelpOptions = true,
      description =
          "Throughput and latency of trivial tasks through real workers, and the raw Kafka"
              + " ceiling of the same pipeline on the same broker. Prints ratio=X, then"
              + " overhead=X last (fleet CPU per task over the ceiling's plus a bare sandbox"
              + " attempt's).")
  static final class FleetCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--quick", description = "A few hundred tasks (for CI).")
    boolean quick;

    @Option(names = "--workers", paramLabel = "N", description = "In-process workers (default 2).")
    int workers = 2;

    @Option(
        names = "--concurrency",
        paramLabel = "N",
        description = "Task threads per worker (default 2, the worker's default).")
    int concurrency = 2;

    @Option(
        names = "--tasks",
        paramLabel = "N",
        description = "Tasks in the throughput flood (default 5000; 300 with --quick).")
    Integer tasks;

    @Option(
        names = "--in-flight",
        paramLabel = "N",
        description = "Tasks outstanding in the latency loop (default 1).")
    int inFlight = 1;

    @Option(
        names = "--mixed",
        description =
            "Also run a mixed workload: every 20th task sleeps (2 s; 0.5 s with --quick).")
    boolean mixed;

    @Option(
        names = "--share-groups",
        description = "Workers consume through share groups (KIP-932) instead of a classic group.")
    boolean shareGroups;

    @Option(
        names = "--outputs",
        paramLabel = "MODE",
        description = "The workers' outputs: idempotent (default) or transactional.")
    String outputs;

    @Option(
        names = "--worker-processes",
        paramLabel = "N,N",
        split = ",",
        description =
            "Also flood through this many worker processes (child JVMs), each count in turn,"
                + " e.g. 1,2,4.")
    List<Integer> workerProcesses = List.of();

    @Option(
        names = "--bootstrap-servers",
        paramLabel = "HOST:PORT",
        description = "An existing cluster (default: an embedded broker).")
    String servers;

    @Option(
        names = "--write",
        paramLabel = "FILE",
        description = "Also write the report into FILE's fleet section (e.g. BENCHMARKS.md).")
    Path write;

    @Override
    public Integer call() throws Exception {
      var report = new StringWriter();
      new FleetBench(options(), tee(spec, report)).run();
      if (write != null) {
        String section = shareGroups ? "fleet-share-groups" : "fleet";
        BenchmarksFile.writeSection(write, section, commandLine(), report.toString());
      }
      return 0;
    }

    private FleetBenchOptions options() {
      int count = tasks != null ? tasks : quick ? 300 : 5000;
      var options = FleetBenchOptions.of(workers, concurrency, count).withInFlight(inFlight);
      if (mixed) {
        options =
            quick
                ? options.withMixed(60, Duration.ofMillis(500))
                : options.withMixed(600, Duration.ofSeconds(2));
      }
      if (shareGroups) {
        options = options.withShareGroups();
      }
      if (!workerProcesses.isEmpty()) {
        options = options.withWorkerProcesses(workerProcesses);
      }
      if (outputs != null) {
        options = options.withOutputs(OutputMode.parse(outputs));
      }
      return servers == null ? options : options.withServers(servers);
    }

    private String commandLine() {
      return String.format(
          "./capsule bench fleet --workers %d --concurrency %d --tasks %d --in-flight %d%s%s%s%s%s",
          workers,
          concurrency,
          tasks != null ? tasks : quick ? 300 : 5000,
          inFlight,
          mixed ? " --mixed" : "",
          shareGroups ? " --share-groups" : "",
          workerProcesses.isEmpty()
              ? ""
              : " --worker-processes "
                  + workerProcesses.stream().map(String::valueOf).collect(joining(",")),
          outputs != null ? " --outputs " + outputs : "",
          quick ? " --quick" : "");
    }
  }

  /** The command's output writer, also copied into {@code copy}. */
  static PrintWriter tee(CommandSpec spec, Writer copy) {
    Writer out = spec.commandLine().getOut();
    return new PrintWriter(
        new Writer() {
          @Override
          public void write(char[] chars, int off, int len) throws IOException {
            out.write(chars, off, len);
            copy.write(chars, off, len);
          }

          @Override
          public void flush() throws IOException {
            out.flush();
            copy.flush();
          }

          @Override
          public void close() throws IOException {
            flush();
          }
        },
        true);
  }
}
