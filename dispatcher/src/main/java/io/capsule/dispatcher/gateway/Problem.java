package io.capsule.dispatcher.gateway;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An HTTP error answered as {@code application/problem+json} (RFC 9457). Thrown by handlers; the
 * gateway's exception mapper writes it.
 */
final class Problem extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The media type of the answer. */
  static final String MEDIA_TYPE = "application/problem+json";

  private final int status;
  private final String slug;
  private final String title;

  Problem(int status, String slug, String title, String detail) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.title = title;
  }

  static Problem badRequest(String detail) {
    return new Problem(400, "invalid-request", "Invalid request", detail);
  }

  static Problem notFound(String detail) {
    return new Problem(404, "not-found", "Not found", detail);
  }

  int status() {
    return status;
  }

  /** The body, with {@code instance} set to the request path. */
  Map<String, Object> body(String instance) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "urn:capsule:problem:" + slug);
    body.put("title", title);
    body.put("status", status);
    body.put("detail", getMessage());
    body.put("instance", instance);
    return body;
  }
}
