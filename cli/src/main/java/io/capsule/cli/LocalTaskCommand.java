package io.capsule.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** What {@code capsule run} and {@code capsule exec} share: a task file, its arguments, options. */
abstract class LocalTaskCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "FILE", description = "The task file.")
  Path file;

  @Parameters(index = "1..*", paramLabel = "ARGS", description = "Arguments for the task.")
  List<String> args = new ArrayList<>();

  @Option(
      names = "--args-file",
      paramLabel = "F.json",
      description = "A JSON array of arguments, placed before ARGS (for large inputs).")
  Path argsFile;

  @Mixin TaskOptionFlags taskOptions = new TaskOptionFlags();

  @Mixin OutputFlags output = new OutputFlags();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    var cmd = spec.commandLine();
    return new LocalRun(
            file, taskOptions.toOptions(), args, argsFile, output, cmd.getOut(), cmd.getErr())
        .call();
  }
}
