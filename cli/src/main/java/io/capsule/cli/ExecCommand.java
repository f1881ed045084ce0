package io.capsule.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code capsule exec ARTIFACT|FILE.wasm [OPTIONS] [--] [ARGS...]}. */
@Command(
    name = "exec",
    mixinStandardHelpOptions = true,
    description =
        "Run a built artifact (from 'capsule build') without recompiling; flags override the"
            + " options baked into it.")
final class ExecCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "ARTIFACT", description = "A .capsule artifact or .wasm.")
  Path file;

  @Parameters(index = "1..*", paramLabel = "ARGS", description = "Arguments for the task.")
  List<String> args = new ArrayList<>();

  @Option(names = "--args-file", paramLabel = "F.json", description = "A JSON array of arguments.")
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
