package io.capsule.cli;

import io.capsule.bench.LangBench;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code capsule bench lang [--quick] [--write FILE]}: JavaScript and Python per-task cost. */
@Command(
    name = "lang",
    mixinStandardHelpOptions = true,
    description =
        "hello.js (QuickJS) and hello.py (CPython): cold first task in a fresh cache directory,"
            + " warm median/p99 per task in one sandbox, new-process runs; CPU-bound loops and a"
            + " realistic mix (json, regex, sort, csv+statistics) in both languages beside the"
            + " machine's python3 and node. Prints a Markdown table, then lang_js_ms, lang_py_ms,"
            + " py_loop_in_task_ratio (the Python loop timed inside one task, as natively) and,"
            + " last, py_loop_ratio, py_mix_ratio, js_loop_ratio, js_mix_ratio and"
            + " interpreted_functions (functions"
            + " Chicory's compiler left to its interpreter in QuickJS and the resumable CPython).")
final class BenchLangCommand implements Callable<Integer> {
  @Option(
      names = "--quick",
      description =
          "Few runs, the mix at a tenth of its sizes; Python once, from the shared compile cache"
              + " (for CI).")
  boolean quick;

  @Option(names = "--no-process", description = "Skip the new-process `capsule run` runs.")
  boolean noProcess;

  @Option(
      names = "--write",
      paramLabel = "FILE",
      description = "Also write the report into FILE's lang section (e.g. BENCHMARKS.md).")
  Path write;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    var report = new StringWriter();
    new LangBench(quick, BenchCommand.tee(spec, report), noProcess ? null : Main.class.getName())
        .run();
    if (write != null) {
      String command = "./capsule bench lang" + (quick ? " --quick" : "");
      BenchmarksFile.writeSection(write, "lang", command, report.toString());
    }
    return 0;
  }
}
