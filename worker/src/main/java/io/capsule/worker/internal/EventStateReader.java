package io.capsule.worker.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.capsule.protocol.TaskState;
import java.io.IOException;

/**
 * Reads the three fields of a lifecycle event the ledger needs ({@code task_id}, {@code state},
 * {@code attempt}) with a streaming parser that stops once it has them. Events are written with
 * these fields first and the final envelope last, so a terminal event's envelope — most of the
 * bytes of the events topic, which every worker reads whole — is never parsed.
 */
final class EventStateReader {
  private static final JsonFactory JSON = new JsonFactory();

  /** The fields the ledger keeps of one event. */
  record EventState(String taskId, TaskState state, int attempt) {}

  private EventStateReader() {}

  /**
   * The event's id, state and attempt (0 when absent), or null when the value is not a JSON object
   * with an id and a state.
   *
   * @throws IOException when the JSON is malformed
   * @throws io.capsule.protocol.InvalidRequestException for an unknown state
   */
  static EventState read(byte[] json) throws IOException {
    try (JsonParser parser = JSON.createParser(json)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      String taskId = null;
      TaskState state = null;
      Integer attempt = null;
      while (parser.nextToken() == JsonToken.FIELD_NAME
          && (taskId == null || state == null || attempt == null)) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (field) {
          case "task_id" -> taskId = value == JsonToken.VALUE_STRING ? parser.getText() : null;
          case "state" -> state = value == JsonToken.VALUE_STRING ? parse(parser) : null;
          case "attempt" ->
              attempt = value == JsonToken.VALUE_NUMBER_INT ? parser.getIntValue() : 0;
          default -> parser.skipChildren();
        }
      }
      return taskId == null || state == null
          ? null
          : new EventState(taskId, state, attempt == null ? 0 : attempt);
    }
  }

  private static TaskState parse(JsonParser parser) throws IOException {
    return TaskState.fromWire(parser.getText());
  }
}
