package io.capsule.dispatcher.gateway;

import java.time.Duration;
import java.util.Objects;

/**
 * How the gateway serves: address, authentication and limits. Immutable; build with {@link
 * #builder()}, whose setters validate at once.
 */
public final class GatewayConfig {
  /** Default largest request body: 16 MiB (inline modules above 64 KiB are uploaded by hash). */
  public static final long DEFAULT_MAX_REQUEST_BYTES = 16L * 1024 * 1024;

  /** Default longest {@code ?wait=} of a result request: 60 seconds. */
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(60);

  /** Default number of tasks the recent-tasks view keeps: 50,000. */
  public static final int DEFAULT_RECENT_CAPACITY = 50_000;

  private final String host;
  private final int port;
  private final BearerTokens tokens;
  private final long maxRequestBytes;
  private final Duration maxWait;
  private final int recentCapacity;

  private GatewayConfig(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.tokens = b.tokens;
    this.maxRequestBytes = b.maxRequestBytes;
    this.maxWait = b.maxWait;
    this.recentCapacity = b.recentCapacity;
  }

  /** A builder with the defaults: {@code 127.0.0.1}, a free port, no tokens (set some). */
  public static Builder builder() {
    return new Builder();
  }

  /** Interface to bind. */
  public String host() {
    return host;
  }

  /** Port to bind; 0 picks a free one. */
  public int port() {
    return port;
  }

  /** Accepted tokens, or {@code null} when the gateway runs open ({@code --no-auth}). */
  public BearerTokens tokens() {
    return tokens;
  }

  /** Whether requests need a bearer token. */
  public boolean authRequired() {
    return tokens != null;
  }

  /** Largest request body accepted; larger ones get 413. */
  public long maxRequestBytes() {
    return maxRequestBytes;
  }

  /** Longest wait a result request may ask for. */
  public Duration maxWait() {
    return maxWait;
  }

  /** How many tasks the recent-tasks view and the dashboard keep. */
  public int recentCapacity() {
    return recentCapacity;
  }

  /** Builds a {@link GatewayConfig}. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port;
    private BearerTokens tokens;
    private boolean open;
    private long maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private Duration maxWait = DEFAULT_MAX_WAIT;
    private int recentCapacity = DEFAULT_RECENT_CAPACITY;

    private Builder() {}

    /** The interface to bind ({@code 0.0.0.0} for all). */
    public Builder withHost(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port (0 = any free port). */
    public Builder withPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0-65535");
      }
      this.port = port;
      return this;
    }

    /**
     * Requires one of these bearer tokens on every request but {@code /health}, with the {@link
     * TokenScope} its route needs.
     */
    public Builder withTokens(BearerTokens tokens) {
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      return this;
    }

    /** Serves without authentication (development only). */
    public Builder withoutAuth() {
      this.open = true;
      return this;
    }

    /** Largest request body. */
    public Builder withMaxRequestBytes(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("max request size must be at least 1 KiB");
      }
      this.maxRequestBytes = bytes;
      return this;
    }

    /** Longest {@code ?wait=} honoured. */
    public Builder withMaxWait(Duration wait) {
      if (wait.isNegative()) {
        throw new IllegalArgumentException("max wait cannot be negative");
      }
      this.maxWait = wait;
      return this;
    }

    /** How many tasks the recent view keeps. */
    public Builder withRecentCapacity(int tasks) {
      if (tasks < 1) {
        throw new IllegalArgumentException("recent capacity must be positive");
      }
      this.recentCapacity = tasks;
      return this;
    }

    /**
     * Checks the combination: exactly one of tokens or {@link #withoutAuth()}.
     *
     * @throws IllegalStateException when neither or both were chosen, or the token set is empty
     */
    public GatewayConfig build() {
      if (open && tokens != null) {
        throw new IllegalStateException("give tokens or run without auth, not both");
      }
      if (!open && (tokens == null || tokens.isEmpty())) {
        throw new IllegalStateException(
            "no bearer tokens: give a token file, set " + BearerTokens.ENV + ", or run --no-auth");
      }
      return new GatewayConfig(this);
    }
  }
}
