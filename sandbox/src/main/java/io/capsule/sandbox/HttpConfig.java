package io.capsule.sandbox;

import java.net.ProxySelector;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Limits of the {@code capsule.http_request} host function, immutable. Build with {@link
 * #builder()}; every setter validates at once. Which hosts a task may call is the task's {@code
 * allowed_hosts} option; which internal hosts may be called at all is the operator's {@code
 * privateHosts} here.
 *
 * @param maxResponseBytes the largest response body accepted (default 10 MiB); a larger one fails
 *     the request with {@code response_too_large}
 * @param maxRequests requests one attempt may make (default 64); redirects followed are not counted
 * @param maxRedirects redirects followed per request (default 5), each checked against the
 *     allowlist before it is followed
 * @param maxPendingResponses responses a guest may hold without reading them (default 4)
 * @param requestTimeout the longest one request may take, connect to last body byte (default 30s);
 *     the task's remaining timeout and the guest's {@code timeout_ms} shorten it
 * @param proxy where connections go, or {@code null} for the JVM's default proxy selector ({@code
 *     http.proxyHost}, …); {@code http} goes through an HTTP proxy as an absolute-form request,
 *     {@code https} as a {@code CONNECT} tunnel. A proxy resolves names itself, so what it can
 *     reach is the operator's to decide: through it only IP literals and reserved names are checked
 * @param guardInternalAddresses whether internal hosts are kept from tasks (default {@code true}):
 *     a host that is, or resolves to, a loopback, private (RFC 1918, {@code 100.64.0.0/10}),
 *     link-local ({@code 169.254.0.0/16}, {@code fe80::/10}, where cloud metadata answers),
 *     unique-local ({@code fc00::/7}), unspecified, multicast, broadcast or reserved address, in
 *     any spelling, or has a reserved name ({@code localhost}, {@code *.internal}, …) is refused
 *     unless listed in {@code privateHosts}. {@code false} trusts the whole network: any host a
 *     task's {@code allowed_hosts} matches is reached
 * @param privateHosts the internal hosts the operator opens to tasks (default none), each named
 *     literally: a name ({@code localhost}, {@code db.internal}) or an IP literal ({@code
 *     127.0.0.1}, {@code 169.254.169.254}, {@code ::1}); no wildcards. A task still needs a rule of
 *     its own {@code allowed_hosts} that matches the host; naming such a host in {@code
 *     allowed_hosts} alone never reaches it
 */
public record HttpConfig(
    int maxResponseBytes,
    int maxRequests,
    int maxRedirects,
    int maxPendingResponses,
    Duration requestTimeout,
    ProxySelector proxy,
    boolean guardInternalAddresses,
    List<String> privateHosts) {

  /** Validates the settings. */
  public HttpConfig {
    if (maxResponseBytes <= 0 || maxRequests <= 0 || maxRedirects < 0 || maxPendingResponses <= 0) {
      throw new IllegalArgumentException("HTTP limits must be positive");
    }
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive");
    }
    privateHosts = List.copyOf(privateHosts);
    privateHosts.forEach(HttpConfig::checkPrivateHost);
  }

  private static void checkPrivateHost(String host) {
    if (host.isBlank()
        || host.contains("*")
        || host.contains("/")
        || host.contains("@")
        || !host.equals(host.strip())) {
      throw new IllegalArgumentException(
          "privateHosts entries name one host literally (a name or an IP literal), not '"
              + host
              + "'");
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
    private List<String> privateHosts = List.of();

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
     * Whether internal hosts are kept from tasks unless listed in {@link #withPrivateHosts}
     * (default {@code true}); {@code false} lets any task whose {@code allowed_hosts} matches reach
     * loopback, the private network and the cloud metadata service.
     */
    public Builder withInternalAddressGuard(boolean guard) {
      this.guardInternalAddresses = guard;
      return this;
    }

    /**
     * The internal hosts tasks may reach (default none): names or IP literals, each named
     * literally, such as {@code localhost}, {@code 127.0.0.1} or {@code 169.254.169.254}. Only the
     * operator sets this; a task's {@code allowed_hosts} must still match the host.
     */
    public Builder withPrivateHosts(List<String> hosts) {
      List<String> copy = List.copyOf(hosts);
      copy.forEach(HttpConfig::checkPrivateHost);
      this.privateHosts = copy;
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
          guardInternalAddresses,
          privateHosts);
    }

    private static int positive(int value, String name) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive");
      }
      return value;
    }
  }
}
