package io.capsule.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Execution;
import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The embedding API: run a task file from a JVM application.
 *
 * <pre>{@code
 * ResultEnvelope envelope = Capsule.run(Path.of("hello.wasm"), List.of("Ada")).join();
 * }</pre>
 *
 * <p>Calls share one {@link Sandbox} with the default {@link SandboxConfig}; applications that need
 * other settings create their own sandbox.
 */
public final class Capsule {
  private Capsule() {}

  /**
   * Runs the {@code main} task of a {@code .wasm}, {@code .wat} or {@code .capsule} file.
   *
   * @param file the task file
   * @param args arguments: strings, numbers, booleans, maps and lists become JSON
   * @return the envelope; a file that cannot be read or used completes with a failed envelope
   */
  public static CompletableFuture<ResultEnvelope> run(Path file, List<?> args) {
    return run(file, TaskOptions.NONE, args);
  }

  /** {@link #run(Path, List)} with options layered over those baked into the file. */
  public static CompletableFuture<ResultEnvelope> run(
      Path file, TaskOptions options, List<?> args) {
    Sandbox sandbox = Shared.SANDBOX;
    try {
      TaskFile task = TaskFile.read(file, options.timeout());
      TaskCall call = new TaskCall(options.over(task.bakedOptions()), toJson(args));
      PreparedModule module = sandbox.prepare(task, call.options());
      return sandbox.runAsync(module, call);
    } catch (CapsuleException e) {
      return CompletableFuture.completedFuture(failed(options, e));
    } catch (IOException e) {
      return CompletableFuture.completedFuture(
          failed(options, new InvalidRequestException("cannot read " + file + ": " + e, e)));
    }
  }

  private static List<JsonNode> toJson(List<?> args) {
    List<JsonNode> nodes = new ArrayList<>();
    for (Object arg : args) {
      nodes.add(CapsuleJson.mapper().valueToTree(arg));
    }
    return nodes;
  }

  private static ResultEnvelope failed(TaskOptions options, CapsuleException e) {
    return ResultEnvelope.failure(e.toTaskError(), Execution.none(options.nameOrDefault()));
  }

  private static final class Shared {
    static final Sandbox SANDBOX = Sandbox.create(SandboxConfig.defaults());
  }
}
