package io.capsule.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Execution;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.OperatorCeiling.OverCeiling;
import io.capsule.protocol.ProjectConfig;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.AttemptListener;
import io.capsule.sandbox.ExecutionMode;
import io.capsule.sandbox.GuestScript;
import io.capsule.sandbox.PreparedModule;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import io.capsule.sandbox.TaskArtifact;
import io.capsule.sandbox.TaskCall;
import io.capsule.sandbox.TaskFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs one task file locally with no broker: what {@code capsule run} and {@code exec} share. */
final class LocalRun {
  private final Path file;
  private final TaskOptions flags;
  private final OverCeiling overCeiling;
  private final List<String> args;
  private final Path argsFile;
  private final boolean json;
  private final ProgressLines progress;
  private final PrintWriter out;
  private final PrintWriter err;
  private final ExecutionMode mode;
  private final LocalContext context;

  LocalRun(
      LocalContext context,
      Path file,
      TaskOptions flags,
      OverCeiling overCeiling,
      List<String> args,
      Path argsFile,
      OutputFlags output,
      PrintWriter out,
      PrintWriter err) {
    this.context = context;
    this.file = file;
    this.flags = flags;
    this.overCeiling = overCeiling;
    this.args = args;
    this.argsFile = argsFile;
    this.json = output.json;
    this.mode = output.interpreter ? ExecutionMode.INTERPRETED : ExecutionMode.COMPILED;
    this.progress = new ProgressLines(output.verbose, err);
    this.out = out;
    this.err = err;
  }

  /** Runs the task and prints its outcome; returns the exit code. */
  int call() {
    Path cwd = context.cwd();
    TaskFile task;
    try {
      task = readTaskFile(cwd, flags.over(projectDefaults(cwd).defaults()).timeout());
    } catch (CapsuleException e) { // text that does not assemble or parse, or is over its budgets
      return print(ResultEnvelope.failure(e.toTaskError(), Execution.none(flags.nameOrDefault())));
    }
    List<JsonNode> arguments = TaskArguments.of(argsFile, cwd, args);
    TaskOptions defaults = projectDefaults(cwd).defaults();
    TaskOptions options;
    try {
      options = flags.over(task.bakedOptions(flags.name())).over(defaults);
    } catch (CapsuleException e) { // several tasks and none named main
      return print(ResultEnvelope.failure(e.toTaskError(), Execution.none(flags.nameOrDefault())));
    }
    OperatorCeiling ceiling = OperatorGrant.ceiling(flags, defaults, overCeiling);
    progress.granted(ceiling, declarations(task, options), cwd);
    try (Sandbox sandbox = sandbox(cwd, ceiling)) {
      ResultEnvelope envelope = runIn(sandbox, task, new TaskCall(options, arguments));
      return print(envelope);
    }
  }

  /**
   * What each task of the file asks for: the entry task with flags and defaults layered in, the
   * others (sub-tasks) as declared.
   */
  private static Map<String, TaskOptions> declarations(TaskFile task, TaskOptions options) {
    Map<String, TaskOptions> asked = new LinkedHashMap<>();
    asked.put(options.nameOrDefault(), options);
    if (task.script() != null) {
      task.script().tasks().keySet().stream()
          .sorted()
          .forEach(name -> asked.putIfAbsent(name, task.script().optionsOf(name)));
    }
    return asked;
  }

  /**
   * The daemon's shared sandbox seen from this caller, or a new one for this run alone; either
   * bounds every task of the run by the operator's {@code ceiling}.
   */
  private Sandbox sandbox(Path cwd, OperatorCeiling ceiling) {
    if (context.sandboxes() != null) {
      return context.sandboxes().forCaller(mode, cwd, context.environment(), ceiling);
    }
    return Sandbox.create(
        SandboxConfig.builder()
            .withExecutionMode(mode)
            .withFilesRoot(cwd)
            .withEnvironment(context.environment())
            .withCeiling(ceiling)
            .build());
  }

  private ResultEnvelope runIn(Sandbox sandbox, TaskFile task, TaskCall call) {
    progress.starting(file, call);
    PreparedModule module;
    try {
      long start = System.nanoTime();
      module =
          task.script() != null
              ? sandbox.prepare(task.script())
              : sandbox.prepare(task, call.options());
      progress.prepared(module, System.nanoTime() - start);
    } catch (CapsuleException e) {
      return ResultEnvelope.failure(e.toTaskError(), Execution.none(call.taskName()));
    }
    return sandbox.run(module, call, listener());
  }

  /**
   * Progress lines for each attempt, and the task's own output lines on stderr as it writes them,
   * whatever the flags: capsule-run's tasks inherit the terminal's streams; here stdout stays the
   * result's (and with {@code --json} the envelope's alone).
   */
  private AttemptListener listener() {
    return new AttemptListener() {
      @Override
      public void attemptFinished(int attempt, ResultEnvelope envelope, Duration retryIn) {
        progress.attemptFinished(attempt, envelope, retryIn);
      }

      @Override
      public void taskOutput(String line) {
        err.println(TerminalText.safe(line));
        err.flush();
      }
    };
  }

  /**
   * The task file; a script is read without its interpreter (the sandbox binds it to the one it
   * holds, so the daemon does not re-read a 26 MB CPython per task).
   */
  private TaskFile readTaskFile(Path cwd, java.time.Duration timeout) {
    Path path = cwd.resolve(file);
    try {
      GuestScript script = TaskArtifact.isArtifact(path) ? null : TaskFile.readScript(path);
      return script != null ? new TaskFile(path, null, null, script) : TaskFile.read(path, timeout);
    } catch (IOException e) {
      throw new UsageException("cannot read " + file + ": " + reason(e));
    }
  }

  private static String reason(IOException e) {
    return e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage();
  }

  private ProjectConfig projectDefaults(Path cwd) {
    try {
      ProjectConfig config = ProjectConfig.find(cwd);
      Path parent = cwd.resolve(file).getParent();
      if (config == ProjectConfig.NONE && parent != null && !parent.equals(cwd)) {
        config = ProjectConfig.find(parent);
      }
      return config;
    } catch (CapsuleException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private int print(ResultEnvelope envelope) {
    if (json) {
      out.println(CapsuleJson.write(envelope));
    } else if (envelope.success()) {
      out.println(CapsuleJson.writePretty(envelope.result()));
    }
    out.flush();
    progress.finished(envelope, json);
    return envelope.success() ? 0 : Main.TASK_FAILED;
  }
}
