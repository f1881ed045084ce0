package io.capsule.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.capsule.bench.LangBench;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code capsule bench lang [--quick] [--write FILE]}: JavaScript and Python per-task cost. */
@Command(
    name = "lang",
    mixinStandardHelpOptions = true,
    description =
        "hello.js (QuickJS) and hello.py (CPython): cold first task in a fresh cache directory,"
            + " warm median/p99 per task in one sandbox, new-process runs. Prints a Markdown table,"
            + " then lang_js_ms=X and lang_py_ms=Y.")
final class BenchLangCommand implements Callable<Integer> {
  @Option(
      names = "--quick",
      description = "Few runs; Python once, from the shared compile cache (for CI).")
  boolean quick;

  @Option(names = "--no-process", description = "Skip the new-process `capsule run` runs.")
  boolean noProcess;

  @Option(
      names = "--write",
      paramLabel = "FILE",
      description = "Also write the report into FILE's lang section (e.g. BENCHMARKS.md).")
  Path write;

  @Override
  public Integer call() throws Exception {
    var report = new ByteArrayOutputStream();
    var out = new PrintStream(new Tee(System.out, report), true, UTF_8);
    new LangBench(quick, out, noProcess ? null : Main.class.getName()).run();
    if (write != null) {
      String command = "./capsule bench lang" + (quick ? " --quick" : "");
      BenchmarksFile.writeSection(write, "lang", command, report.toString(UTF_8));
    }
    return 0;
  }

  /** Copies everything written to two streams. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
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
