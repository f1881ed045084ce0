package io.capsule.sandbox.internal.net;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A request document from the guest: {@code {"method", "url", "headers": {name: value or [values]},
 * "body" (UTF-8 text) or "body_base64", "timeout_ms"}}. Only {@code url} is required; the method
 * defaults to {@code GET}. Headers the HTTP client sets itself ({@code Host}, {@code Connection},
 * {@code Content-Length}, …) are dropped.
 *
 * @param method upper-case method
 * @param uri absolute {@code http} or {@code https} URL
 * @param headers header name and value pairs, in order
 * @param body the body bytes, empty for none
 * @param timeout the guest's own limit for this request, or {@code null}
 */
record GuestHttpRequest(
    String method,
    URI uri,
    List<Map.Entry<String, String>> headers,
    byte[] body,
    Duration timeout) {
  private static final Set<String> DROPPED_HEADERS =
      Set.of(
          "host",
          "connection",
          "content-length",
          "expect",
          "upgrade",
          "keep-alive",
          "transfer-encoding",
          "te",
          "trailer",
          "proxy-connection");
  private static final int MAX_URL_CHARS = 8192;

  GuestHttpRequest {
    headers = List.copyOf(headers);
  }

  /** The method and URL for the record, before anything else is checked; {@code null} if none. */
  static String[] methodAndUrl(byte[] document) {
    try {
      JsonNode node = CapsuleJson.mapper().readTree(document);
      if (node == null || !node.path("url").isTextual()) {
        return null;
      }
      String url = node.get("url").asText();
      return new String[] {
        method(node), url.length() > MAX_URL_CHARS ? url.substring(0, MAX_URL_CHARS) : url
      };
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Parses and validates a request document. */
  static GuestHttpRequest parse(byte[] document) {
    JsonNode node;
    try {
      node = CapsuleJson.mapper().readTree(document);
    } catch (IOException e) {
      throw invalid("request is not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw invalid("request must be a JSON object");
    }
    return new GuestHttpRequest(
        method(node),
        uri(node.path("url")),
        headers(node.path("headers")),
        body(node),
        timeout(node));
  }

  /** The same request sent to {@code target} with {@code method}, as a redirect is followed. */
  GuestHttpRequest redirectedTo(URI target, String newMethod, boolean keepBody, boolean sameHost) {
    List<Map.Entry<String, String>> kept = new ArrayList<>();
    for (Map.Entry<String, String> header : headers) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      boolean credential = name.equals("authorization") || name.equals("cookie");
      boolean content = name.startsWith("content-");
      if ((sameHost || !credential) && (keepBody || !content)) {
        kept.add(header);
      }
    }
    return new GuestHttpRequest(newMethod, target, kept, keepBody ? body : new byte[0], timeout);
  }

  private static String method(JsonNode node) {
    String method = node.path("method").asText("GET").strip().toUpperCase(Locale.ROOT);
    return method.isEmpty() ? "GET" : method;
  }

  static URI checkedUri(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw invalid("bad url: " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw invalid("url must be http or https: " + url);
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw invalid("url has no host: " + url);
    }
    if (uri.getRawUserInfo() != null) {
      throw invalid("credentials in the url are not accepted; send an Authorization header");
    }
    return uri;
  }

  private static URI uri(JsonNode url) {
    if (!url.isTextual() || url.asText().length() > MAX_URL_CHARS) {
      throw invalid("url must be a string of at most " + MAX_URL_CHARS + " characters");
    }
    return checkedUri(url.asText());
  }

  private static List<Map.Entry<String, String>> headers(JsonNode node) {
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    if (node.isMissingNode() || node.isNull()) {
      return headers;
    }
    if (!node.isObject()) {
      throw invalid("headers must be an object");
    }
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      if (DROPPED_HEADERS.contains(field.getKey().toLowerCase(Locale.ROOT))) {
        continue;
      }
      JsonNode value = field.getValue();
      if (value.isArray()) {
        value.forEach(v -> headers.add(Map.entry(field.getKey(), headerValue(v))));
      } else {
        headers.add(Map.entry(field.getKey(), headerValue(value)));
      }
    }
    return headers;
  }

  private static String headerValue(JsonNode value) {
    if (!value.isValueNode() || value.isNull()) {
      throw invalid("header values must be strings");
    }
    return value.asText();
  }

  private static byte[] body(JsonNode node) {
    JsonNode text = node.path("body");
    JsonNode base64 = node.path("body_base64");
    if (!text.isMissingNode() && !text.isNull()) {
      if (!text.isTextual()) {
        throw invalid("body must be a string; use body_base64 for bytes");
      }
      return text.asText().getBytes(StandardCharsets.UTF_8);
    }
    if (!base64.isMissingNode() && !base64.isNull()) {
      try {
        return Base64.getDecoder().decode(base64.asText());
      } catch (IllegalArgumentException e) {
        throw invalid("body_base64 is not base64");
      }
    }
    return new byte[0];
  }

  private static Duration timeout(JsonNode node) {
    JsonNode ms = node.path("timeout_ms");
    if (ms.isMissingNode() || ms.isNull()) {
      return null;
    }
    if (!ms.canConvertToLong() || ms.asLong() <= 0) {
      throw invalid("timeout_ms must be a positive integer");
    }
    return Duration.ofMillis(ms.asLong());
  }

  private static HttpFailure invalid(String message) {
    return new HttpFailure(NetworkError.INVALID_REQUEST, message);
  }
}
