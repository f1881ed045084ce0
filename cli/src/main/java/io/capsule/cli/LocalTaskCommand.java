package io.capsule.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * What {@code capsule run} and {@code capsule exec} share: a task file, its arguments, options. The
 * {@code capsule} process hands the task to the local daemon (started on first use) unless told not
 * to, and runs it itself when the daemon cannot be reached.
 */
abstract class LocalTaskCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "FILE",
      description =
          "The task file: .wasm, .wat, .capsule (from 'capsule build'), .py, .js, .mjs, .ts, .mts"
              + " (default: the [workflow] entrypoint of ./capsule.toml).")
  Path file;

  @Parameters(index = "1..*", paramLabel = "ARGS", description = "Arguments for the task.")
  List<String> args = new ArrayList<>();

  @Option(
      names = "--args-file",
      paramLabel = "F.json",
      description = "A JSON array of arguments, placed before ARGS (for large inputs).")
  Path argsFile;

  @Option(
      names = "--no-daemon",
      description =
          "Run in this process instead of the warm local daemon (also: CAPSULE_NO_DAEMON=1).")
  boolean noDaemon;

  @Mixin TaskOptionFlags taskOptions = new TaskOptionFlags();

  @Mixin OutputFlags output = new OutputFlags();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Set by {@link Main}'s factory (or the daemon, per request) before the command runs. */
  LocalContext context = LocalContext.inProcess(false);

  @Override
  public Integer call() {
    var cmd = spec.commandLine();
    if (context.daemonAllowed() && !noDaemon && !DaemonClient.disabledByEnvironment()) {
      var code =
          DaemonClient.forThisBuild(cmd.getErr())
              .runTask(spec.name(), commandArgs(), context.cwd(), context.environment(), cmd);
      if (code.isPresent()) {
        return code.getAsInt();
      }
    }
    return new LocalRun(
            context,
            context.taskFile(file),
            taskOptions.toOptions(),
            taskOptions.overCeiling,
            args,
            argsFile,
            output,
            cmd.getOut(),
            cmd.getErr())
        .call();
  }

  /** This command's own arguments, as given (after {@code @file} expansion). */
  private List<String> commandArgs() {
    List<String> all = spec.commandLine().getParseResult().expandedArgs();
    int at = all.indexOf(spec.name());
    return List.copyOf(all.subList(at + 1, all.size()));
  }
}
