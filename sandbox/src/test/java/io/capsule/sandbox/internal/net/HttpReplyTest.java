package io.capsule.sandbox.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.MemoryLimitException;
import io.capsule.sandbox.internal.ResourceAccount;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Answer documents are written at their exact size straight from the body's bytes: what a guest
 * parses is the body it was sent, and what the account was charged is the document's length.
 */
class HttpReplyTest {
  private static HttpResult response(byte[] body) {
    return new HttpResult(
        200,
        URI.create("http://example.com/x"),
        Map.of("content-type", List.of("text/plain")),
        body);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "plain",
        "quote \" backslash \\ slash /",
        "lines\nand\ttabs\r\b\f",
        "controls \u0000\u0001\u001f\u007f",
        "héllo wörld ✓ 𝄞"
      })
  void aTextBodyReadsBackAsItWasSent(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    HttpReply reply = HttpReply.success(response(bytes), HeldBytes.unaccounted());

    JsonNode doc = CapsuleJson.readTree(new String(reply.document(), StandardCharsets.UTF_8));

    assertThat(doc.get("body").asText()).isEqualTo(body);
    assertThat(doc.get("status").asInt()).isEqualTo(200);
    assertThat(doc.get("headers").get("content-type").asText()).isEqualTo("text/plain");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5, 1000})
  void aBodyThatIsNotUtf8IsBase64EncodedWhole(int length) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = (byte) (0xC0 + i % 7); // lead bytes without continuations
    }
    HttpReply reply = HttpReply.success(response(bytes), HeldBytes.unaccounted());

    JsonNode doc = CapsuleJson.readTree(new String(reply.document(), StandardCharsets.UTF_8));

    assertThat(doc.has("body")).isFalse();
    assertThat(Base64.getDecoder().decode(doc.get("body_base64").asText())).isEqualTo(bytes);
  }

  @Test
  void theDocumentIsChargedAtItsExactLengthBeforeItIsWritten() {
    ResourceAccount account = ResourceAccount.forRam(0);
    byte[] body = "a \"quoted\" line\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
    HttpReply reply;
    try (var held = new HeldBytes(account)) {
      reply = HttpReply.success(response(body), held);
    }
    assertThat(account.used()).as("kept for the guest").isEqualTo(reply.document().length);

    byte[] huge = new byte[20 << 20]; // its document does not fit a 16 MiB account
    assertThatThrownBy(() -> HttpReply.success(response(huge), new HeldBytes(account)))
        .isInstanceOf(MemoryLimitException.class)
        .hasMessageContaining("held for the task");
  }
}
