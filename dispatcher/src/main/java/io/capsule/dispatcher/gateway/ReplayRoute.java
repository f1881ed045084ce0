package io.capsule.dispatcher.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.dispatcher.DeadLetterReplayer;
import io.capsule.dispatcher.DeadLetterReplayer.Filter;
import io.capsule.dispatcher.DeadLetterReplayer.Outcome;
import io.capsule.dispatcher.DeadLetterReplayer.Report;
import io.capsule.dispatcher.FleetConnection;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.Durations;
import io.capsule.protocol.ErrorType;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code POST /v1/dlq/replay} with an optional body {@code {"error_type": "timeout", "since": "2h"
 * | "2026-11-26T10:00:00Z", "dry_run": true}}: what {@code capsule replay} does. One replay runs at
 * a time.
 */
final class ReplayRoute {
  private final FleetConnection connection;
  private final RequestBodies bodies;

  ReplayRoute(FleetConnection connection, RequestBodies bodies) {
    this.connection = connection;
    this.bodies = bodies;
  }

  synchronized void replay(Context ctx) {
    JsonNode body = bodies.json(ctx);
    if (!body.isObject()) {
      throw Problem.badRequest("a replay request is a JSON object");
    }
    boolean dryRun = body.path("dry_run").asBoolean(false);
    Filter filter = new Filter(errorType(body.path("error_type")), since(body.path("since")));
    Report report;
    try (var replayer = DeadLetterReplayer.connect(connection, Duration.ofSeconds(60))) {
      report = replayer.replay(filter, dryRun);
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("dry_run", dryRun);
    for (Outcome outcome : Outcome.values()) {
      answer.put(outcome.name().toLowerCase(Locale.ROOT), report.count(outcome));
    }
    answer.put("entries", report.entries().stream().map(ReplayRoute::entry).toList());
    Json.write(ctx, 200, answer);
  }

  private static Map<String, Object> entry(DeadLetterReplayer.Entry e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("task_id", e.taskId());
    m.put("source", e.source());
    m.put("error_type", e.errorType());
    m.put("at", e.at().toString());
    m.put("level", e.level() == null ? null : e.level().topicSuffix());
    m.put("outcome", e.outcome().name().toLowerCase(Locale.ROOT));
    return m;
  }

  private static ErrorType errorType(JsonNode node) {
    try {
      return node.isMissingNode() || node.isNull() ? null : ErrorType.fromWire(node.asText());
    } catch (CapsuleException e) {
      throw Problem.badRequest(e);
    }
  }

  private static Instant since(JsonNode node) {
    if (node.isMissingNode() || node.isNull()) {
      return null;
    }
    String text = node.asText();
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException notAnInstant) {
      try {
        return Instant.now().minus(Durations.parse(text));
      } catch (CapsuleException e) {
        throw Problem.badRequest("since must be an ISO instant or a duration such as 2h");
      }
    }
  }
}
