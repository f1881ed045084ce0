package io.capsule.sandbox.internal.net;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A response as it arrived.
 *
 * @param status the status code
 * @param uri the URL that answered
 * @param headers lower-case header names, each with its values in order
 * @param body the body, at most the configured cap
 */
record HttpResult(int status, URI uri, Map<String, List<String>> headers, byte[] body) {
  HttpResult {
    headers = Map.copyOf(headers);
  }

  /** The first value of a header (lower-case name). */
  Optional<String> first(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }
}
