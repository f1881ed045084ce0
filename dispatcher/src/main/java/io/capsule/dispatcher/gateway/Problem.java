package io.capsule.dispatcher.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.capsule.protocol.CapsuleJson;
import io.javalin.http.Context;

/**
 * An RFC 9457 problem detail, the body of every error answer ({@code application/problem+json}).
 *
 * @param type a URN naming the kind of problem
 * @param title a short summary of the kind
 * @param status the HTTP status
 * @param detail what went wrong with this request
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record Problem(
    @JsonProperty("type") String type,
    @JsonProperty("title") String title,
    @JsonProperty("status") int status,
    @JsonProperty("detail") String detail) {
  static final String CONTENT_TYPE = "application/problem+json";

  static Problem of(int status, String kind, String title, String detail) {
    return new Problem("urn:capsule:problem:" + kind, title, status, detail);
  }

  static Problem invalidRequest(String detail) {
    return of(400, "invalid-request", "Invalid request", detail);
  }

  static Problem notFound(String detail) {
    return of(404, "not-found", "Not found", detail);
  }

  static Problem unauthorized() {
    return of(401, "unauthorized", "Unauthorized", "a valid bearer token is required");
  }

  static Problem tooLarge(long limit) {
    return of(413, "too-large", "Request too large", "the body exceeds " + limit + " bytes");
  }

  /** Writes this problem as the answer. */
  void answer(Context ctx) {
    ctx.status(status).contentType(CONTENT_TYPE).result(CapsuleJson.write(this));
  }
}
