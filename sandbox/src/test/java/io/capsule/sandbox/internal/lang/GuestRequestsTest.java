package io.capsule.sandbox.internal.lang;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuestRequestsTest {
  private final List<String> results = new ArrayList<>();
  private final GuestRequests requests =
      new GuestRequests(
          null,
          (name, args) -> {
            throw new AssertionError("no sub-tasks here");
          },
          bytes -> results.add(new String(bytes, StandardCharsets.UTF_8)),
          new ByteArrayOutputStream(),
          Map.of("K", "v"),
          List.of());

  private static byte[] request(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void onlyTheFirstStartOfAnAttemptCountsSoAGuestCannotRestartItsFuelMeter() {
    List<JsonNode> starts = new ArrayList<>();
    requests.onTaskStart(starts::add);
    requests.handle(request("{\"op\": \"start\", \"payload\": \"first\", \"answer\": false}"));
    requests.handle(request("{\"op\": \"start\", \"payload\": \"again\", \"answer\": false}"));
    requests.start(null);
    assertThat(starts).extracting(JsonNode::asText).containsExactly("first");
  }

  @Test
  void aNotificationHasNoAnswerAndARequestHasOne() {
    byte[] none =
        requests.handle(request("{\"op\": \"result\", \"payload\": \"42\", \"answer\": false}"));
    byte[] env = requests.handle(request("{\"op\": \"env\", \"payload\": null}"));
    assertThat(none).isNull();
    assertThat(results).containsExactly("42");
    assertThat(new String(env, StandardCharsets.UTF_8)).isEqualTo("{\"K\":\"v\"}");
  }
}
