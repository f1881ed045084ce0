package io.capsule.dispatcher.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capsule.dispatcher.AwaitTimeoutException;
import io.capsule.dispatcher.CapsuleClient;
import io.capsule.dispatcher.DeadLetterReplayer;
import io.capsule.dispatcher.FleetConnection;
import io.capsule.dispatcher.TaskHandle;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Durations;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The handlers of the {@code /v1} endpoints; each answers JSON or a {@link Problem}. */
final class TaskRoutes {
  /** Longest {@code wait} a result request may ask for; a Jetty thread blocks meanwhile. */
  static final Duration MAX_WAIT = Duration.ofSeconds(60);

  private static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_LIMIT = 1000;

  private final CapsuleClient client;
  private final FleetConnection connection;
  private final TaskBoard board;
  private final long maxBodyBytes;

  TaskRoutes(CapsuleClient client, FleetConnection connection, TaskBoard board, long maxBody) {
    this.client = client;
    this.connection = connection;
    this.board = board;
    this.maxBodyBytes = maxBody;
  }

  void submit(Context ctx) throws InterruptedException {
    Optional<String> body = body(ctx);
    if (body.isEmpty()) {
      return;
    }
    TaskRequest request;
    try {
      request = request(body.get());
    } catch (CapsuleException | IllegalArgumentException e) {
      Problem.invalidRequest(e.getMessage()).answer(ctx);
      return;
    }
    TaskHandle handle = client.submit(request);
    try {
      handle.accepted().get(ACCEPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      Problem.of(503, "unavailable", "Kafka did not accept the task", String.valueOf(e))
          .answer(ctx);
      return;
    }
    Map<String, Object> accepted = new LinkedHashMap<>();
    accepted.put("id", handle.id());
    accepted.put("level", request.level().topicSuffix());
    accepted.put("status", "/v1/tasks/" + handle.id());
    accepted.put("result", "/v1/tasks/" + handle.id() + "/result");
    ctx.header("Location", "/v1/tasks/" + handle.id());
    json(ctx, 202, accepted);
  }

  /** Reads a task request; one without an id gets a random one. */
  private static TaskRequest request(String body) {
    JsonNode tree = CapsuleJson.readTree(body);
    if (!(tree instanceof ObjectNode object)) {
      throw new InvalidRequestException("a task request is a JSON object");
    }
    if (!object.hasNonNull("id")) {
      object.put("id", UUID.randomUUID().toString());
    }
    return CapsuleJson.convert(object, TaskRequest.class);
  }

  void status(Context ctx) {
    String id = ctx.pathParam("id");
    Optional<LifecycleEvent> event = board.get(id).or(() -> client.status(id));
    if (event.isEmpty()) {
      Problem.notFound("no task '" + id + "' is known").answer(ctx);
    } else {
      json(ctx, 200, event.get());
    }
  }

  void result(Context ctx) {
    String id = ctx.pathParam("id");
    Duration wait;
    try {
      wait = wait(ctx.queryParam("wait"));
    } catch (CapsuleException e) {
      Problem.invalidRequest(e.getMessage()).answer(ctx);
      return;
    }
    try {
      ResultEnvelope envelope = client.await(id, wait.isZero() ? Duration.ofMillis(1) : wait);
      json(ctx, 200, envelope);
    } catch (AwaitTimeoutException e) {
      notYet(ctx, id);
    } catch (CancellationException e) {
      Problem.of(410, "cancelled", "Task cancelled", "task '" + id + "' was cancelled").answer(ctx);
    }
  }

  private void notYet(Context ctx, String id) {
    Optional<LifecycleEvent> event = client.status(id);
    if (event.isEmpty()) {
      Problem.notFound("no task '" + id + "' is known").answer(ctx);
    } else {
      json(ctx, 202, event.get());
    }
  }

  void list(Context ctx) {
    TaskState state;
    int limit;
    try {
      String given = ctx.queryParam("state");
      state = given == null ? null : TaskState.fromWire(given);
      limit = limit(ctx.queryParam("limit"));
    } catch (CapsuleException e) {
      Problem.invalidRequest(e.getMessage()).answer(ctx);
      return;
    }
    List<TaskSummary> tasks =
        board.recent(state, ctx.queryParam("level"), limit).stream().map(TaskSummary::of).toList();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("tasks", tasks);
    answer.putAll(board.counts());
    json(ctx, 200, answer);
  }

  void replay(Context ctx) {
    Optional<String> body = body(ctx);
    if (body.isEmpty()) {
      return;
    }
    DeadLetterReplayer.Filter filter;
    boolean dryRun;
    try {
      JsonNode options = body.get().isBlank() ? null : CapsuleJson.readTree(body.get());
      filter = filter(options);
      dryRun = options != null && options.path("dry_run").asBoolean(false);
    } catch (CapsuleException | DateTimeParseException e) {
      Problem.invalidRequest(e.getMessage()).answer(ctx);
      return;
    }
    try (var replayer = DeadLetterReplayer.connect(connection, MAX_WAIT)) {
      json(ctx, 200, report(replayer.replay(filter, dryRun)));
    }
  }

  private static Map<String, Object> report(DeadLetterReplayer.Report report) {
    List<Map<String, Object>> entries = report.entries().stream().map(TaskRoutes::entry).toList();
    Map<String, Object> answer = new LinkedHashMap<>();
    for (DeadLetterReplayer.Outcome outcome : DeadLetterReplayer.Outcome.values()) {
      answer.put(outcome.name().toLowerCase(Locale.ROOT), report.count(outcome));
    }
    answer.put("entries", entries);
    return answer;
  }

  private static Map<String, Object> entry(DeadLetterReplayer.Entry e) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("task_id", e.taskId());
    entry.put("source", e.source());
    entry.put("error_type", e.errorType().wireName());
    entry.put("at", e.at().toString());
    entry.put("level", e.level() == null ? null : e.level().topicSuffix());
    entry.put("outcome", e.outcome().name().toLowerCase(Locale.ROOT));
    return entry;
  }

  private static DeadLetterReplayer.Filter filter(JsonNode options) {
    if (options == null) {
      return DeadLetterReplayer.Filter.ALL;
    }
    String type = options.path("error_type").asText(null);
    String since = options.path("since").asText(null);
    return new DeadLetterReplayer.Filter(
        type == null ? null : ErrorType.fromWire(type), since == null ? null : since(since));
  }

  private static Instant since(String text) {
    return Character.isDigit(text.charAt(0)) && text.contains("T")
        ? Instant.parse(text)
        : Instant.now().minus(Durations.parse(text));
  }

  /** The body as text, or empty after answering 413 when it is larger than allowed. */
  private Optional<String> body(Context ctx) {
    byte[] bytes;
    try {
      bytes = ctx.bodyInputStream().readNBytes(Math.toIntExact(maxBodyBytes + 1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (bytes.length > maxBodyBytes) {
      Problem.tooLarge(maxBodyBytes).answer(ctx);
      return Optional.empty();
    }
    return Optional.of(new String(bytes, StandardCharsets.UTF_8));
  }

  private static Duration wait(String given) {
    if (given == null || given.isBlank() || given.strip().matches("0+(ms|s|m|h)?")) {
      return Duration.ZERO;
    }
    Duration wait = Durations.parse(given);
    return wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
  }

  private static int limit(String given) {
    if (given == null) {
      return 50;
    }
    try {
      int limit = Integer.parseInt(given.strip());
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new NumberFormatException();
      }
      return limit;
    } catch (NumberFormatException e) {
      throw new InvalidRequestException(
          "limit must be a number from 1 to " + MAX_LIMIT + ", not '" + given + "'");
    }
  }

  static void json(Context ctx, int status, Object value) {
    ctx.status(status).contentType("application/json").result(CapsuleJson.write(value));
  }
}
