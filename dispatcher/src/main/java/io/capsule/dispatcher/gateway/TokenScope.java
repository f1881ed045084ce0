package io.capsule.dispatcher.gateway;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a gateway token may do. Each scope includes the ones before it: {@link #READ} sees tasks,
 * results, stats, metrics and the dashboard; {@link #SUBMIT} also submits tasks; {@link #ADMIN}
 * also cancels tasks and replays dead letters.
 */
public enum TokenScope {
  /** Read-only: task status, results, the recent list, stats, metrics, the dashboard. */
  READ,
  /** {@link #READ} and {@code POST /v1/tasks}. A token listed without a scope has this one. */
  SUBMIT,
  /** {@link #SUBMIT}, {@code DELETE /v1/tasks/{id}} and {@code POST /v1/dlq/replay}. */
  ADMIN;

  /** The name in a token entry ({@code admin:TOKEN}) and in problem answers. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a token with this scope may do what {@code needed} allows. */
  public boolean covers(TokenScope needed) {
    return compareTo(needed) >= 0;
  }

  /**
   * The scope named exactly (lower case) by {@code text}.
   *
   * @throws IllegalArgumentException for any other text; the message does not repeat it, since it
   *     may be the head of a secret
   */
  public static TokenScope fromWire(String text) {
    for (TokenScope scope : values()) {
      if (scope.wireName().equals(text)) {
        return scope;
      }
    }
    throw new IllegalArgumentException("a token scope must be one of " + names());
  }

  /** {@code read, submit, admin}. */
  static String names() {
    return Arrays.stream(values()).map(TokenScope::wireName).collect(Collectors.joining(", "));
  }
}
