package io.capsule.sandbox.internal.net;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capsule.protocol.CapsuleJson;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
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

  static HttpReply success(HttpResult response) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("status", response.status());
    doc.put("url", response.uri().toString());
    ObjectNode headers = doc.putObject("headers");
    for (Map.Entry<String, List<String>> h : new TreeMap<>(response.headers()).entrySet()) {
      headers.put(h.getKey().toLowerCase(Locale.ROOT), String.join(", ", h.getValue()));
    }
    byte[] body = response.body() == null ? new byte[0] : response.body();
    String text = utf8(body);
    if (text != null) {
      doc.put("body", text);
    } else {
      doc.put("body_base64", Base64.getEncoder().encodeToString(body));
    }
    return new HttpReply(0, bytes(doc));
  }

  static HttpReply failure(HttpFailure failure) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    ObjectNode error = doc.putObject("error");
    error.put("type", failure.error().type());
    error.put("code", failure.error().code());
    error.put("message", failure.getMessage());
    return new HttpReply(failure.error().code(), bytes(doc));
  }

  private static String utf8(byte[] body) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
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
