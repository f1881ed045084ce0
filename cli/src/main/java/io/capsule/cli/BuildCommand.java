package io.capsule.cli;

import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.ProjectConfig;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.GuestScript;
import io.capsule.sandbox.PreparedModule;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import io.capsule.sandbox.ScriptArtifact;
import io.capsule.sandbox.TaskArtifact;
import io.capsule.sandbox.TaskFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code capsule build [FILE] [OPTIONS] [--export] [-o OUT]}. */
@Command(
    name = "build",
    mixinStandardHelpOptions = true,
    description = {
      "Build a task ahead of time into a .capsule artifact (a zip, not a plain .wasm) that keeps"
          + " its options; 'capsule exec OUT' runs it.",
      "A module (.wasm, .wat) is validated, fuel-metered and compiled: exec skips the compile.",
      "A script (.py, .js, .mjs, .ts, .mts) gets its interpreter and start-up snapshot prepared"
          + " (the one-time preparation) and is compiled (TypeScript to JavaScript, Python to"
          + " bytecode); the artifact names the interpreter module and snapshot by SHA-256 and is"
          + " signed with this installation's key, so exec runs it only here and refuses it once"
          + " that snapshot is gone (build again). Use --export to move a script elsewhere."
    })
final class BuildCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "FILE",
      description =
          "The task file: .wasm, .wat, .py, .js, .mjs, .ts, .mts (default: the [workflow]"
              + " entrypoint of ./capsule.toml).")
  Path file;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "OUT",
      description = "Where to write the artifact (default: FILE with .capsule, beside FILE).")
  Path output;

  @Option(
      names = "--export",
      description =
          "Write a portable artifact: the task and its options only, nothing tied to this"
              + " installation (for a script: its source as it runs, TypeScript compiled, and the"
              + " interpreter's version; no snapshot, bytecode or signature). Any Capsule with the"
              + " same interpreter runs it with 'capsule exec', preparing what it needs there. It"
              + " is a .capsule zip, not a .wasm: a script needs Capsule's interpreter and host.")
  boolean export;

  @Mixin TaskOptionFlags taskOptions = new TaskOptionFlags();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Set by {@link Main}'s factory: the directory relative files and capsule.toml are found in. */
  LocalContext context = LocalContext.inProcess(false);

  @Override
  public Integer call() throws IOException {
    Path source = context.cwd().resolve(context.taskFile(file));
    ProjectConfig project = context.project();
    Path out = output != null ? context.cwd().resolve(output) : defaultOutput(source);
    refuseModuleName(out);
    SandboxConfig config = SandboxConfig.defaults();
    try (Sandbox sandbox = Sandbox.create(config)) {
      GuestScript script = readScript(source);
      if (script != null) {
        buildScript(sandbox, script, project.defaults(), out);
      } else {
        TaskFile task = read(source);
        TaskOptions options =
            taskOptions.toOptions().over(task.bakedOptions()).over(project.defaults());
        PreparedModule module = sandbox.prepare(task);
        TaskArtifact artifact = TaskArtifact.of(module, options);
        (export ? artifact : artifact.signedBy(config.cacheDir())).write(out);
      }
      spec.commandLine().getOut().println(output != null ? output : out);
      return 0;
    } catch (CapsuleException e) {
      spec.commandLine().getErr().println("capsule: " + e.getMessage());
      return Main.TASK_FAILED;
    }
  }

  private void buildScript(Sandbox sandbox, GuestScript script, TaskOptions defaults, Path out)
      throws IOException {
    TaskOptions flags = taskOptions.toOptions();
    TaskOptions declared = script.optionsOf(script.entryTask(flags.name()));
    TaskOptions options = flags.over(declared).over(defaults);
    ScriptArtifact artifact =
        export
            ? ScriptArtifact.exported(script, options)
            : ScriptArtifact.build(sandbox, script, options);
    artifact.write(out);
    spec.commandLine().getErr().println("capsule: " + describe(artifact, out));
  }

  /** What was written, in words: a zip, what it holds, where it runs. */
  private static String describe(ScriptArtifact artifact, Path out) {
    String what =
        artifact.bound()
            ? "bound to this installation's interpreter snapshot (build again if it is remade)"
            : "portable: the script and its options for " + artifact.interpreter();
    return out.getFileName()
        + " is a .capsule (zip) of "
        + artifact.script().fileName()
        + ", "
        + what
        + "; run it with 'capsule exec'";
  }

  /** An artifact is a zip: a name that says WebAssembly would mislead whoever runs it next. */
  private static void refuseModuleName(Path out) {
    String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".wasm") || name.endsWith(".wat")) {
      throw new UsageException(
          out
              + ": an artifact is a .capsule (a zip: task, options and compiled code), not a"
              + " WebAssembly module; name it "
              + TaskArtifact.EXTENSION);
    }
  }

  private GuestScript readScript(Path source) {
    try {
      return TaskFile.readScript(source);
    } catch (IOException e) {
      throw new UsageException("cannot read " + source + ": " + e.getMessage());
    }
  }

  private static TaskFile read(Path source) {
    try {
      return TaskFile.read(source);
    } catch (IOException e) {
      throw new UsageException("cannot read " + source + ": " + e.getMessage());
    }
  }

  private static Path defaultOutput(Path source) {
    String name = source.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    return source.toAbsolutePath().resolveSibling(stem + TaskArtifact.EXTENSION);
  }
}
