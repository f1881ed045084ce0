package io.capsule.sandbox.internal.net;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capsule.protocol.CapsuleJson;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code http_request} hands back: a code ({@code 0} or a negative {@link NetworkError} code)
 * and a JSON document. A response is {@code {"status", "url", "headers": {lower-case name: value},
 * "body"}} with {@code "body_base64"} instead of {@code "body"} when the body is not UTF-8; a
 * failure is {@code {"error": {"type", "code", "message"}}}.
 *
 * @param code 0 for a response (any HTTP status), else the negative error code
 * @param document the UTF-8 JSON document
 */
public record HttpReply(int code, byte[] document) {

  /**
   * The answer to {@code response}, its document charged to {@code held} (as kept: it outlives the
   * exchange) before it is made. The document is written once, at its exact size: its body is
   * escaped (or base64-encoded) straight from the response's bytes, never held as text.
   */
  static HttpReply success(HttpResult response, HeldBytes held) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("status", response.status());
    doc.put("url", response.uri().toString());
    ObjectNode headers = doc.putObject("headers");
    for (Map.Entry<String, List<String>> h : new TreeMap<>(response.headers()).entrySet()) {
      headers.put(h.getKey().toLowerCase(Locale.ROOT), String.join(", ", h.getValue()));
    }
    byte[] body = response.body() == null ? new byte[0] : response.body();
    boolean text = isUtf8(body);
    byte[] head = bytes(doc); // {"status":…,"headers":{…}}
    byte[] key =
        (text ? ",\"body\":\"" : ",\"body_base64\":\"").getBytes(StandardCharsets.US_ASCII);
    long bodyLength = text ? JsonText.escapedLength(body) : 4L * ((body.length + 2) / 3);
    long size = head.length - 1 + key.length + bodyLength + 2;
    held.chargeKept(size, heldForTheTask(size));
    byte[] document = new byte[(int) size];
    System.arraycopy(head, 0, document, 0, head.length - 1);
    int at = head.length - 1;
    System.arraycopy(key, 0, document, at, key.length);
    at += key.length;
    at = text ? JsonText.escape(body, document, at) : base64(body, document, at);
    document[at] = '"';
    document[at + 1] = '}';
    return new HttpReply(0, document);
  }

  /** How an answer document of {@code bytes} is named when the account refuses it. */
  static String heldForTheTask(long bytes) {
    return "an HTTP answer of " + bytes + " bytes held for the task";
  }

  static HttpReply failure(HttpFailure failure) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    ObjectNode error = doc.putObject("error");
    error.put("type", failure.error().type());
    error.put("code", failure.error().code());
    error.put("message", failure.getMessage());
    return new HttpReply(failure.error().code(), bytes(doc));
  }

  /** Whether {@code body} is well-formed UTF-8, checked without decoding it into one string. */
  private static boolean isUtf8(byte[] body) {
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(body);
    CharBuffer out = CharBuffer.allocate(4096);
    while (true) {
      CoderResult result = decoder.decode(in, out, true);
      if (result.isError()) {
        return false;
      }
      out.clear();
      if (result.isUnderflow()) {
        return !decoder.flush(out).isError();
      }
    }
  }

  /** Writes {@code body} base64-encoded into {@code document} at {@code at}; the end. */
  private static int base64(byte[] body, byte[] document, int at) {
    int[] position = {at};
    OutputStream sink =
        new OutputStream() {
          @Override
          public void write(int b) {
            document[position[0]++] = (byte) b;
          }

          @Override
          public void write(byte[] bytes, int offset, int length) {
            System.arraycopy(bytes, offset, document, position[0], length);
            position[0] += length;
          }
        };
    try (OutputStream encoder = Base64.getEncoder().wrap(sink)) {
      encoder.write(body);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return position[0];
  }

  /** The document as UTF-8, written straight to bytes (a 10 MiB body is not copied as text). */
  private static byte[] bytes(ObjectNode doc) {
    try {
      return CapsuleJson.mapper().writeValueAsBytes(doc);
    } catch (java.io.IOException e) {
      throw new io.capsule.protocol.InternalException("cannot write JSON: " + e.getMessage(), e);
    }
  }
}
