package io.capsule.dispatcher.gateway;

import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.InvalidRequestException;
import java.util.LinkedHashMap;
import java.util.List;
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
  private final List<Map<String, String>> errors;

  Problem(int status, String slug, String title, String detail) {
    this(status, slug, title, detail, List.of());
  }

  private Problem(
      int status, String slug, String title, String detail, List<Map<String, String>> errors) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.errors = errors;
  }

  static Problem badRequest(String detail) {
    return new Problem(400, "invalid-request", "Invalid request", detail);
  }

  /**
   * A request that cannot be used: when the failure names the field at fault, the answer says so
   * twice — in {@code detail} ({@code limits.ram: size 'lots' is not understood…}) and as RFC
   * 9457's {@code errors} extension, a list of {@code {pointer, detail}} with the field as a JSON
   * pointer ({@code #/limits/ram}).
   */
  static Problem badRequest(CapsuleException failure) {
    if (failure instanceof InvalidRequestException invalid && invalid.pointer() != null) {
      Map<String, String> error = new LinkedHashMap<>();
      error.put("pointer", "#" + invalid.pointer());
      error.put("detail", invalid.reason());
      return new Problem(
          400, "invalid-request", "Invalid request", failure.getMessage(), List.of(error));
    }
    return badRequest(failure.getMessage());
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
    if (!errors.isEmpty()) {
      body.put("errors", errors);
    }
    return body;
  }
}
