package io.capsule.cli;

import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.ProjectConfig;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.PreparedModule;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import io.capsule.sandbox.TaskArtifact;
import io.capsule.sandbox.TaskFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code capsule build FILE [OPTIONS] [-o OUT]}. */
@Command(
    name = "build",
    mixinStandardHelpOptions = true,
    description =
        "Validate, meter and compile a task ahead of time into a .capsule artifact that keeps its"
            + " options; 'capsule exec' runs it in milliseconds.")
final class BuildCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "FILE", description = "The task file (.wasm, .wat).")
  Path file;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "OUT",
      description = "Where to write the artifact (default: FILE with .capsule).")
  Path output;

  @Mixin TaskOptionFlags taskOptions = new TaskOptionFlags();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    TaskFile task = read();
    TaskOptions options =
        taskOptions
            .toOptions()
            .over(task.bakedOptions())
            .over(ProjectConfig.find(Path.of("").toAbsolutePath()).defaults());
    Path out = output != null ? output : defaultOutput();
    SandboxConfig config = SandboxConfig.defaults();
    try (Sandbox sandbox = Sandbox.create(config)) {
      PreparedModule module = sandbox.prepare(task);
      TaskArtifact.of(module, options).signedBy(config.cacheDir()).write(out);
      spec.commandLine().getOut().println(out);
      return 0;
    } catch (CapsuleException e) {
      spec.commandLine().getErr().println("capsule: " + e.getMessage());
      return Main.TASK_FAILED;
    }
  }

  private TaskFile read() {
    try {
      return TaskFile.read(file);
    } catch (IOException e) {
      throw new UsageException("cannot read " + file + ": " + e.getMessage());
    }
  }

  private Path defaultOutput() {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    return file.toAbsolutePath().resolveSibling(stem + TaskArtifact.EXTENSION);
  }
}
