package io.capsule.sandbox.internal.net;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.HostRequest;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A request document from the guest: {@code {"method", "url", "headers": {name: value or [values]},
 * "body" (UTF-8 text) or "body_base64", "timeout_ms", "secret_headers": [names]}}. Only {@code url}
 * is required; the method defaults to {@code GET}. Headers the host sets itself ({@code Host},
 * {@code Connection}, {@code Content-Length}, …) are dropped; a method that is not a token, a
 * header name that is not a token or a value with a control character (CR, LF, NUL: header
 * injection) is refused. Error messages never repeat a URL's query, fragment or userinfo.
 *
 * @param method upper-case method
 * @param uri absolute {@code http} or {@code https} URL
 * @param headers header name and value pairs, in order
 * @param body the body bytes, empty for none
 * @param timeout the guest's own limit for this request, or {@code null}
 * @param secretHeaders lower-case names the guest marked as credentials ({@code secret_headers}),
 *     dropped like {@code Authorization} when a redirect changes origin
 */
record GuestHttpRequest(
    String method,
    URI uri,
    List<Map.Entry<String, String>> headers,
    byte[] body,
    Duration timeout,
    Set<String> secretHeaders) {
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
  private static final Set<String> CREDENTIAL_HEADERS =
      Set.of("authorization", "proxy-authorization", "cookie");
  private static final List<String> CREDENTIAL_WORDS =
      List.of("token", "secret", "password", "passwd", "session", "credential", "signature");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final int MAX_URL_CHARS = 8192;

  GuestHttpRequest {
    headers = List.copyOf(headers);
    secretHeaders = Set.copyOf(secretHeaders);
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
        timeout(node),
        secretHeaders(node.path("secret_headers")));
  }

  /**
   * The same request sent to {@code target} with {@code method}, as a redirect is followed. Unless
   * the target has the same origin (scheme, host and port), credential headers are dropped: {@code
   * Authorization}, {@code Proxy-Authorization}, {@code Cookie}, the names in {@code
   * secret_headers}, and any name that looks like one ({@link #isCredential}).
   */
  GuestHttpRequest redirectedTo(
      URI target, String newMethod, boolean keepBody, boolean sameOrigin) {
    List<Map.Entry<String, String>> kept = new ArrayList<>();
    for (Map.Entry<String, String> header : headers) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      boolean content = name.startsWith("content-");
      if ((sameOrigin || !isCredential(name)) && (keepBody || !content)) {
        kept.add(header);
      }
    }
    byte[] keptBody = keepBody ? body : new byte[0];
    return new GuestHttpRequest(newMethod, target, kept, keptBody, timeout, secretHeaders);
  }

  /**
   * Whether a header (lower-case name) carries a credential: the standard ones, a name the guest
   * marked, {@code *api-key}/{@code *apikey}, {@code x-auth*}, or one containing {@code token},
   * {@code secret}, {@code password}, {@code session}, {@code credential} or {@code signature}.
   */
  boolean isCredential(String name) {
    return CREDENTIAL_HEADERS.contains(name)
        || secretHeaders.contains(name)
        || name.endsWith("api-key")
        || name.endsWith("apikey")
        || name.endsWith("api_key")
        || name.startsWith("x-auth")
        || CREDENTIAL_WORDS.stream().anyMatch(name::contains);
  }

  private static String method(JsonNode node) {
    String method = node.path("method").asText("GET").strip().toUpperCase(Locale.ROOT);
    if (!method.isEmpty() && !TOKEN.matcher(method).matches()) {
      throw invalid("method must be an HTTP token");
    }
    return method.isEmpty() ? "GET" : method;
  }

  private static Set<String> secretHeaders(JsonNode node) {
    if (node.isMissingNode() || node.isNull()) {
      return Set.of();
    }
    if (!node.isArray()) {
      throw invalid("secret_headers must be an array of header names");
    }
    Set<String> names = new HashSet<>();
    for (JsonNode name : node) {
      if (!name.isTextual()) {
        throw invalid("secret_headers must be an array of header names");
      }
      names.add(name.asText().strip().toLowerCase(Locale.ROOT));
    }
    return names;
  }

  static URI checkedUri(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw invalid("bad url (" + e.getReason() + "): " + HostRequest.redact(url));
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw invalid("url must be http or https: " + HostRequest.redact(url));
    }
    if (uri.getRawUserInfo() != null || rawAuthority(uri).contains("@")) {
      throw invalid("credentials in the url are not accepted; send an Authorization header");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      uri = withNumericHost(uri);
    }
    return uri;
  }

  private static String rawAuthority(URI uri) {
    return uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
  }

  /**
   * {@code java.net.URI} has no host for {@code http://127.1/}, {@code http://0x7f.1/} or {@code
   * http://127.0.0.1./}, spellings other clients send to an address; such a URL is rewritten with
   * the address as its host, so it is checked (and refused or reached) as that address.
   */
  private static URI withNumericHost(URI uri) {
    String authority = rawAuthority(uri);
    int colon = authority.lastIndexOf(':');
    String host = colon < 0 ? authority : authority.substring(0, colon);
    String port = colon < 0 ? "" : authority.substring(colon);
    TargetHost target = host.isEmpty() ? null : TargetHost.parse(host);
    if (target == null || !target.isLiteral() || !port.matches("(:\\d{1,5})?")) {
      throw invalid("url has no valid host: " + HostRequest.redact(uri.toString()));
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    try {
      return new URI(uri.getScheme() + "://" + target.canonical() + port + path + query);
    } catch (URISyntaxException e) {
      throw invalid("url has no valid host: " + HostRequest.redact(uri.toString()));
    }
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
      if (!TOKEN.matcher(field.getKey()).matches()) {
        throw invalid("header names must be HTTP tokens");
      }
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
    String text = value.asText();
    boolean clean = text.chars().allMatch(c -> c == '\t' || c >= 0x20 && c != 0x7f && c <= 0xff);
    if (!clean) {
      throw invalid("header values must not hold control characters (CR, LF, NUL, ...)");
    }
    return text.strip();
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
