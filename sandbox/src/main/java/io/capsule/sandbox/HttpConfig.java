package io.capsule.sandbox;

import java.net.ProxySelector;
import java.time.Duration;
import java.util.Objects;

/**
 * Limits of the {@code capsule.http_request} host function, immutable. Build with {@link
 * #builder()}; every setter validates at once. Which hosts a task may call is the task's {@code
 * allowed_hosts} option, not a setting here.
 *
 * @param maxResponseBytes the largest response body accepted (default 10 MiB); a larger one fails
 *     the request with {@code response_too_large}
 * @param maxRequests requests one attempt may make (default 64); redirects followed are not counted
 * @param maxRedirects redirects followed per request (default 5), each checked against the
 *     allowlist before it is followed
 * @param maxPendingResponses responses a guest may hold without reading them (default 4)
 * @param requestTimeout the longest one request may take, connect to last body byte (default 30s);
 *     the task's remaining timeout and the guest's {@code timeout_ms} shorten it
 * @param proxy where connections go, or {@code null} for the JVM's default proxy selector
 * @param guardInternalAddresses whether wildcard and domain rules are kept away from internal
 *     addresses (default {@code true}): link-local (cloud metadata) addresses need an exact {@code
 *     allowed_hosts} entry, and a name matched only by a wildcard or domain rule must not resolve
 *     to a loopback, private or link-local address
 */
public record HttpConfig(
    int maxResponseBytes,
    int maxRequests,
    int maxRedirects,
    int maxPendingResponses,
    Duration requestTimeout,
    ProxySelector proxy,
    boolean guardInternalAddresses) {

  /** Validates the settings. */
  public HttpConfig {
    if (maxResponseBytes <= 0 || maxRequests <= 0 || maxRedirects < 0 || maxPendingResponses <= 0) {
      throw new IllegalArgumentException("HTTP limits must be positive");
    }
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive");
    }
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults. */
  public static HttpConfig defaults() {
    return builder().build();
  }

  /** Builds an {@link HttpConfig}. */
  public static final class Builder {
    private int maxResponseBytes = 10 << 20;
    private int maxRequests = 64;
    private int maxRedirects = 5;
    private int maxPendingResponses = 4;
    private Duration requestTimeout = Duration.ofSeconds(30);
    private ProxySelector proxy;
    private boolean guardInternalAddresses = true;

    private Builder() {}

    /** The largest response body accepted. */
    public Builder withMaxResponseBytes(int bytes) {
      this.maxResponseBytes = positive(bytes, "maxResponseBytes");
      return this;
    }

    /** Requests per attempt. */
    public Builder withMaxRequests(int requests) {
      this.maxRequests = positive(requests, "maxRequests");
      return this;
    }

    /** Redirects followed per request; 0 returns redirects to the guest unfollowed. */
    public Builder withMaxRedirects(int redirects) {
      if (redirects < 0) {
        throw new IllegalArgumentException("maxRedirects cannot be negative");
      }
      this.maxRedirects = redirects;
      return this;
    }

    /** Unread responses a guest may hold. */
    public Builder withMaxPendingResponses(int responses) {
      this.maxPendingResponses = positive(responses, "maxPendingResponses");
      return this;
    }

    /** The longest one request may take. */
    public Builder withRequestTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive");
      }
      this.requestTimeout = timeout;
      return this;
    }

    /** Sends every connection through this proxy selector ({@code null}: the JVM default). */
    public Builder withProxy(ProxySelector proxy) {
      this.proxy = proxy;
      return this;
    }

    /**
     * Whether wildcard and domain rules are kept away from internal addresses (default {@code
     * true}); turn it off only where tasks allowed {@code *} may reach the private network.
     */
    public Builder withInternalAddressGuard(boolean guard) {
      this.guardInternalAddresses = guard;
      return this;
    }

    /** Builds. */
    public HttpConfig build() {
      return new HttpConfig(
          maxResponseBytes,
          maxRequests,
          maxRedirects,
          maxPendingResponses,
          requestTimeout,
          proxy,
          guardInternalAddresses);
    }

    private static int positive(int value, String name) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive");
      }
      return value;
    }
  }
}
