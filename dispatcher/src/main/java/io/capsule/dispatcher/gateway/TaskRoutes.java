package io.capsule.dispatcher.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capsule.dispatcher.AwaitTimeoutException;
import io.capsule.dispatcher.CapsuleClient;
import io.capsule.dispatcher.TaskHandle;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.Durations;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The {@code /v1/tasks} handlers: submit, status, result, cancel, recent list and stats. */
final class TaskRoutes {
  private static final int MAX_LIMIT = 1000;

  private final CapsuleClient client;
  private final TaskBoard board;
  private final GatewayMetrics metrics;
  private final RequestBodies bodies;
  private final Duration maxWait;
  private final ExecutorService waiters;

  TaskRoutes(
      CapsuleClient client,
      TaskBoard board,
      GatewayMetrics metrics,
      RequestBodies bodies,
      Duration maxWait,
      ExecutorService waiters) {
    this.client = client;
    this.board = board;
    this.metrics = metrics;
    this.bodies = bodies;
    this.maxWait = maxWait;
    this.waiters = waiters;
  }

  /** {@code POST /v1/tasks}: a task request as on Kafka; {@code id} is generated when absent. */
  void submit(Context ctx) throws InterruptedException {
    TaskRequest request = parseRequest(bodies.json(ctx));
    TaskHandle handle = client.submit(request);
    try {
      handle.accepted().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw unavailable("Kafka did not accept task " + request.id() + ": " + e.getCause());
    }
    metrics.submitted(handle.level().topicSuffix());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", handle.id());
    body.put("task_id", handle.id());
    body.put("level", handle.level().topicSuffix());
    body.put("state", TaskState.QUEUED);
    body.put("status_url", "/v1/tasks/" + handle.id());
    body.put("result_url", "/v1/tasks/" + handle.id() + "/result");
    ctx.header("Location", "/v1/tasks/" + handle.id());
    Json.write(ctx, 202, body);
  }

  /** {@code GET /v1/tasks/{id}}: the latest lifecycle event. */
  void status(Context ctx) {
    Json.write(ctx, 200, latest(ctx.pathParam("id")));
  }

  /** {@code GET /v1/tasks/{id}/result?wait=30s}: the envelope once final, 202 while not. */
  void result(Context ctx) {
    String id = ctx.pathParam("id");
    Duration wait = waitParam(ctx.queryParam("wait"));
    LifecycleEvent event = latest(id);
    if (event.state().terminal() || wait.isZero()) {
      answerResult(ctx, event);
      return;
    }
    ctx.future(
        () ->
            CompletableFuture.runAsync(() -> awaitResult(ctx, id, wait), waiters)
                .exceptionally(e -> Json.problem(ctx, unwrap(e))));
  }

  /** {@code DELETE /v1/tasks/{id}}: cancels a task that has not finished. */
  void cancel(Context ctx) {
    String id = ctx.pathParam("id");
    latest(id);
    if (!client.cancel(id)) {
      throw new Problem(409, "already-final", "Task already final", "task " + id + " finished");
    }
    Json.write(ctx, 202, Map.of("task_id", id, "state", TaskState.CANCELLED));
  }

  /** {@code GET /v1/tasks?state=failed&level=low&limit=50}: recent tasks, latest first. */
  void list(Context ctx) {
    TaskState state = stateParam(ctx.queryParam("state"));
    String level = levelParam(ctx.queryParam("level"));
    int limit = limitParam(ctx.queryParam("limit"));
    List<TaskSummary> tasks = board.recent(state, level, limit);
    Json.write(ctx, 200, Map.of("tasks", tasks, "count", tasks.size()));
  }

  /** {@code GET /v1/stats}: counts by state and level, throughput. */
  void stats(Context ctx) {
    Json.write(ctx, 200, board.stats());
  }

  private void awaitResult(Context ctx, String id, Duration wait) {
    try {
      Json.write(ctx, 200, client.await(id, wait));
    } catch (AwaitTimeoutException e) {
      answerResult(ctx, latest(id));
    } catch (CancellationException e) {
      throw cancelled(id);
    }
  }

  private void answerResult(Context ctx, LifecycleEvent event) {
    if (event.state() == TaskState.CANCELLED) {
      throw cancelled(event.taskId());
    }
    ResultEnvelope envelope = event.envelope();
    if (event.state().terminal() && envelope != null) {
      Json.write(ctx, 200, envelope);
    } else {
      ctx.header("Retry-After", "1");
      Json.write(ctx, 202, event);
    }
  }

  private LifecycleEvent latest(String id) {
    Optional<LifecycleEvent> event = client.status(id);
    return event.orElseThrow(() -> Problem.notFound("no task " + id));
  }

  static TaskRequest parseRequest(JsonNode tree) {
    if (!(tree instanceof ObjectNode object)) {
      throw Problem.badRequest("a task request is a JSON object");
    }
    if (!object.hasNonNull("id")) {
      object.put("id", UUID.randomUUID().toString());
    }
    if (!object.hasNonNull("submitted_at")) {
      object.put("submitted_at", System.currentTimeMillis());
    }
    try {
      return CapsuleJson.convert(object, TaskRequest.class);
    } catch (CapsuleException e) {
      throw Problem.badRequest(e);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw Problem.badRequest(e.getMessage());
    }
  }

  private Duration waitParam(String text) {
    if (text == null || text.isBlank()) {
      return Duration.ZERO;
    }
    try {
      Duration wait =
          text.chars().allMatch(Character::isDigit)
              ? Duration.ofSeconds(Long.parseLong(text))
              : Durations.parse(text);
      return wait.compareTo(maxWait) > 0 ? maxWait : wait;
    } catch (CapsuleException | NumberFormatException e) {
      throw Problem.badRequest("wait must be a duration such as 30s, not '" + text + "'");
    }
  }

  private static TaskState stateParam(String text) {
    try {
      return text == null || text.isBlank() ? null : TaskState.fromWire(text);
    } catch (CapsuleException e) {
      throw Problem.badRequest(e.getMessage());
    }
  }

  private static String levelParam(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    String level = text.strip().toLowerCase(Locale.ROOT);
    for (ComputeLevel l : List.of(ComputeLevel.LOW, ComputeLevel.MEDIUM, ComputeLevel.HIGH)) {
      if (l.topicSuffix().equals(level)) {
        return level;
      }
    }
    throw Problem.badRequest("level must be low, medium or high, not '" + text + "'");
  }

  private static int limitParam(String text) {
    if (text == null || text.isBlank()) {
      return 50;
    }
    try {
      int limit = Integer.parseInt(text.strip());
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new NumberFormatException();
      }
      return limit;
    } catch (NumberFormatException e) {
      throw Problem.badRequest("limit must be 1-" + MAX_LIMIT + ", not '" + text + "'");
    }
  }

  private static Problem cancelled(String id) {
    return new Problem(409, "cancelled", "Task cancelled", "task " + id + " was cancelled");
  }

  static Problem unavailable(String detail) {
    return new Problem(503, "fleet-unavailable", "Fleet unavailable", detail);
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof java.util.concurrent.CompletionException && e.getCause() != null
        ? e.getCause()
        : e;
  }
}
