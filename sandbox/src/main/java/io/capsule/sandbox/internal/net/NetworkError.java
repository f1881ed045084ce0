package io.capsule.sandbox.internal.net;

/**
 * The failures a guest's HTTP request can end in, with the negative code {@code http_request}
 * returns and the {@code type} of the error document. The codes are part of guest ABI v1: never
 * renumber them.
 */
public enum NetworkError {
  /** The request document is not valid: bad JSON, URL, scheme, method or header. */
  INVALID_REQUEST(-1, "invalid_request"),
  /** The host (of the URL or of a redirect) is not in {@code allowed_hosts}; nothing was sent. */
  HOST_DENIED(-2, "host_denied"),
  /** The host name did not resolve. */
  DNS_FAILURE(-3, "dns_failure"),
  /** The connection was refused or the host was unreachable. */
  CONNECTION_FAILED(-4, "connection_failed"),
  /** No complete response within the request's timeout. */
  TIMEOUT(-5, "timeout"),
  /** The response body exceeded the size cap. */
  RESPONSE_TOO_LARGE(-6, "response_too_large"),
  /** Too many requests in this attempt, too many unread responses, or too many redirects. */
  LIMIT_EXCEEDED(-7, "limit_exceeded"),
  /** Any other network or TLS failure. */
  NETWORK_ERROR(-8, "network_error"),
  /** {@code http_response_read} was given a handle that is not (or no longer) open. */
  BAD_HANDLE(-9, "bad_handle");

  private final int code;
  private final String type;

  NetworkError(int code, String type) {
    this.code = code;
    this.type = type;
  }

  /** The negative code returned to the guest. */
  public int code() {
    return code;
  }

  /** The {@code type} in the error document. */
  public String type() {
    return type;
  }
}
