package io.capsule.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.dispatcher.AwaitTimeoutException;
import io.capsule.dispatcher.CapsuleClient;
import io.capsule.dispatcher.TaskHandle;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ProjectConfig;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.ScriptRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.GuestScript;
import io.capsule.sandbox.TaskFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code capsule submit FILE [ARGS...] [task options] [--wait]}: one task to the fleet; or {@code
 * capsule submit --requests FILE.jsonl [--wait]}: many prepared task requests, with a progress bar.
 */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description = {
      "Submit a task file (.wasm, .wat, .capsule, .py, .js, .mjs, .ts, .mts) to the fleet.",
      "Prints the task id; with --wait, the result (exit 0) or the error (exit 1).",
      "With --requests FILE.jsonl: one task request per line (as on Kafka; id optional),",
      "one id (or with --wait one envelope) per line on stdout, a progress bar on stderr."
    })
final class SubmitCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "FILE",
      description =
          "The task file: .wasm, .wat, .capsule (a module's, from 'capsule build'), .py, .js,"
              + " .mjs, .ts, .mts.")
  Path file;

  @Option(
      names = "--requests",
      paramLabel = "FILE.jsonl",
      description = "Submit every task request of a JSON-lines file instead of one task file.")
  Path requests;

  @Parameters(index = "1..*", paramLabel = "ARGS", description = "Arguments for the task.")
  List<String> args = new ArrayList<>();

  @Option(
      names = "--args-file",
      paramLabel = "F.json",
      description = "A JSON array of arguments, placed before ARGS (for large inputs).")
  Path argsFile;

  @Option(names = "--wait", description = "Wait for the result envelope.")
  boolean await;

  @Option(
      names = "--wait-timeout",
      paramLabel = "DURATION",
      converter = TaskOptionFlags.DurationConverter.class,
      defaultValue = "10m",
      description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
  Duration waitTimeout;

  @Option(
      names = "--json",
      description = "Print the id, or with --wait the envelope, as JSON on stdout.")
  boolean json;

  @Mixin TaskOptionFlags taskOptions = new TaskOptionFlags();

  @Mixin KafkaFlags kafka = new KafkaFlags.Cluster();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    if ((file == null) == (requests == null)) {
      throw new UsageException("give a task FILE or --requests FILE.jsonl (one of them)");
    }
    if (requests != null) {
      try (CapsuleClient client =
          CapsuleClient.builder().connection(kafka.connection()).queuedEvents(true).build()) {
        return new BatchSubmit(client, spec.commandLine().getOut(), spec.commandLine().getErr())
            .run(BatchSubmit.read(requests), await, waitTimeout);
      }
    }
    List<JsonNode> arguments = TaskArguments.of(argsFile, Path.of(""), args);
    boolean script = ScriptRef.isScriptFile(file.getFileName().toString());
    GuestScript source = script ? readScript() : null;
    TaskFile task = script ? null : readTaskFile();
    TaskOptions flags = taskOptions.toOptions();
    if (task != null && task.scriptArtifact() != null) {
      throw new UsageException(
          file
              + " is a built script, which runs only where it was built (capsule exec);"
              + " submit the script file itself");
    }
    TaskOptions baked =
        script ? source.optionsOf(source.entryTask(flags.name())) : task.bakedOptions();
    TaskOptions options = flags.over(baked).over(defaults());
    try (CapsuleClient client =
        CapsuleClient.builder().connection(kafka.connection()).queuedEvents(true).build()) {
      TaskHandle handle =
          script
              ? client.submitScript(file.getFileName().toString(), readText(), arguments, options)
              : client.submit(task.wasm(), arguments, options);
      get(handle.accepted(), Duration.ofMinutes(1));
      return await ? printResult(handle) : printId(handle);
    }
  }

  private int printId(TaskHandle handle) {
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        json
            ? "{\"task_id\":\""
                + handle.id()
                + "\",\"level\":\""
                + handle.level().topicSuffix()
                + "\"}"
            : handle.id());
    out.flush();
    return 0;
  }

  private int printResult(TaskHandle handle) throws InterruptedException {
    ResultEnvelope envelope;
    try {
      envelope = get(handle.result(), waitTimeout);
    } catch (AwaitTimeoutException e) {
      throw new UsageException(
          e.getMessage() + " (it may still run: capsule status " + handle.id() + ")");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(CapsuleJson.write(envelope));
    } else if (envelope.success()) {
      out.println(CapsuleJson.writePretty(envelope.result()));
    } else {
      spec.commandLine()
          .getErr()
          .println(
              "capsule: task "
                  + handle.id()
                  + " failed: "
                  + envelope.error().errorType().wireName()
                  + ": "
                  + envelope.error().message());
    }
    out.flush();
    return envelope.success() ? 0 : Main.TASK_FAILED;
  }

  private static <T> T get(java.util.concurrent.CompletableFuture<T> future, Duration timeout)
      throws InterruptedException {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AwaitTimeoutException("(submit)", timeout);
    } catch (ExecutionException | CompletionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new IllegalStateException(e.getCause());
    }
  }

  /** The script's task declarations, read here so the request routes to main's compute level. */
  private GuestScript readScript() {
    return GuestScript.of(file.getFileName().toString(), readText());
  }

  private String readText() {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UsageException("cannot read " + file + ": " + e.getMessage());
    }
  }

  private TaskFile readTaskFile() {
    try {
      return TaskFile.read(file);
    } catch (IOException e) {
      throw new UsageException("cannot read " + file + ": " + e.getMessage());
    }
  }

  private static TaskOptions defaults() {
    try {
      return ProjectConfig.find(Path.of("").toAbsolutePath()).defaults();
    } catch (io.capsule.protocol.CapsuleException e) {
      throw new UsageException(e.getMessage());
    }
  }
}
