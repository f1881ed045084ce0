package io.capsule.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

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
    subcommands = {BenchCommand.SandboxCommand.class})
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
