package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * One outbound request a task made, as recorded in {@code execution.host_requests}. Header values
 * and bodies are never recorded: they carry secrets.
 *
 * @param method HTTP method
 * @param url the URL requested
 * @param status the response status, or 0 when no response arrived (denied, unreachable)
 */
public record HostRequest(
    @JsonProperty("method") String method,
    @JsonProperty("url") String url,
    @JsonProperty("status") int status) {

  /** Validates the fields. */
  public HostRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(url, "url");
  }
}
