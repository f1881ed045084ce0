package io.capsule.dispatcher;

import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.ResultEnvelope;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A submitted task: its id, the level topic it went to, when Kafka accepted it and its result.
 *
 * @param id the task id (the record key on every topic)
 * @param level the level whose topic carries it
 * @param accepted completes when the request is acknowledged on its level topic (exceptionally with
 *     {@link DispatcherException} if it could not be published)
 * @param result completes with the final envelope (success or failure), or exceptionally with
 *     {@link java.util.concurrent.CancellationException} when the task is cancelled
 */
public record TaskHandle(
    String id,
    ComputeLevel level,
    CompletableFuture<Void> accepted,
    CompletableFuture<ResultEnvelope> result) {

  /** Checks that every part is present. */
  public TaskHandle {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(level, "level");
    Objects.requireNonNull(accepted, "accepted");
    Objects.requireNonNull(result, "result");
  }
}
