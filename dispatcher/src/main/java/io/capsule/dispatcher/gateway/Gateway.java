package io.capsule.dispatcher.gateway;

import io.capsule.dispatcher.CapsuleClient;
import io.capsule.dispatcher.FleetConnection;
import io.capsule.protocol.LifecycleEvent;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The HTTP gateway of a fleet: submit tasks, read their state and results, list recent tasks and
 * replay dead letters over HTTP, for clients in any language. See {@code docs/openapi.yaml}.
 *
 * <pre>{@code
 * try (Gateway gateway = Gateway.builder(FleetConnection.of("localhost:9092"))
 *     .withTokens(BearerTokens.parse("s3cret")).build()) {
 *   int port = gateway.start();
 * }
 * }</pre>
 *
 * <p>Every endpoint but {@code GET /health} and the dashboard page at {@code GET /} needs an {@code
 * Authorization: Bearer TOKEN} header unless the tokens are {@link BearerTokens#open() open}.
 * Errors are {@code application/problem+json}. Runs on Javalin (Jetty); owns a {@link
 * CapsuleClient} whose event listener feeds the task list.
 */
public final class Gateway implements AutoCloseable {
  private final Builder config;
  private final TaskBoard board;
  private final Javalin app;
  private CapsuleClient client;

  private Gateway(Builder builder) {
    this.config = builder;
    this.board = new TaskBoard(builder.recentTasks);
    this.app = Javalin.create(cfg -> configure(cfg, builder));
  }

  private static void configure(io.javalin.config.JavalinConfig cfg, Builder builder) {
    cfg.showJavalinBanner = false;
    cfg.http.maxRequestSize = builder.maxRequestBytes;
    cfg.router.ignoreTrailingSlashes = true;
  }

  /** Starts a builder for a gateway in front of the fleet on this connection. */
  public static Builder builder(FleetConnection connection) {
    return new Builder(connection);
  }

  /**
   * Connects to Kafka and starts serving.
   *
   * @return the port it listens on (the chosen one when the port was 0)
   */
  public int start() {
    Consumer<LifecycleEvent> observer = board::record;
    client =
        CapsuleClient.builder()
            .connection(config.connection)
            .onEvent(observer.andThen(config.observer))
            .build();
    routes(new TaskRoutes(client, config.connection, board, config.maxRequestBytes));
    app.start(config.host, config.port);
    return app.port();
  }

  private void routes(TaskRoutes tasks) {
    app.before(this::authenticate);
    app.get("/health", ctx -> TaskRoutes.json(ctx, 200, Map.of("status", "ok")));
    app.get("/", Dashboard::serve);
    app.post("/v1/tasks", tasks::submit);
    app.get("/v1/tasks", tasks::list);
    app.get("/v1/tasks/{id}", tasks::status);
    app.get("/v1/tasks/{id}/result", tasks::result);
    app.post("/v1/dlq/replay", tasks::replay);
    app.exception(HttpResponseException.class, Gateway::httpProblem);
    app.exception(Exception.class, Gateway::internalProblem);
  }

  private void authenticate(Context ctx) {
    String path = ctx.path();
    if (path.equals("/health") || path.equals("/") || ctx.method().name().equals("OPTIONS")) {
      return;
    }
    if (!config.tokens.allows(ctx.header("Authorization"))) {
      ctx.header("WWW-Authenticate", "Bearer realm=\"capsule\"");
      throw new io.javalin.http.UnauthorizedResponse();
    }
  }

  private static void httpProblem(HttpResponseException e, Context ctx) {
    int status = e.getStatus();
    Problem problem =
        switch (status) {
          case 401 -> Problem.unauthorized();
          case 413 -> Problem.of(413, "too-large", "Request too large", e.getMessage());
          default -> Problem.of(status, "http-" + status, e.getMessage(), e.getMessage());
        };
    problem.answer(ctx);
  }

  private static void internalProblem(Exception e, Context ctx) {
    Problem.of(500, "internal", "Internal error", e.toString()).answer(ctx);
  }

  /** The port it listens on, once started. */
  public int port() {
    return app.port();
  }

  /** Stops serving, then closes the Kafka client. */
  @Override
  public void close() {
    app.stop();
    if (client != null) {
      client.close();
    }
  }

  /** Configures a {@link Gateway}; each setter validates at once. */
  public static final class Builder {
    /** Largest request body accepted by default: 8 MiB. */
    public static final long DEFAULT_MAX_REQUEST_BYTES = 8L * 1024 * 1024;

    /** How many recently changed tasks the list keeps by default. */
    public static final int DEFAULT_RECENT_TASKS = 10_000;

    private final FleetConnection connection;
    private String host = "127.0.0.1";
    private int port = 0;
    private BearerTokens tokens;
    private long maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private int recentTasks = DEFAULT_RECENT_TASKS;
    private Consumer<LifecycleEvent> observer = event -> {};

    private Builder(FleetConnection connection) {
      this.connection = Objects.requireNonNull(connection, "connection");
    }

    /** The address to bind (default {@code 127.0.0.1}; {@code 0.0.0.0} for all). */
    public Builder withHost(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port (default 0: a free one). */
    public Builder withPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, not " + port);
      }
      this.port = port;
      return this;
    }

    /** The accepted bearer tokens; required ({@link BearerTokens#open()} to run without). */
    public Builder withTokens(BearerTokens tokens) {
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      return this;
    }

    /** The largest request body; larger ones get 413 (default 8 MiB). */
    public Builder withMaxRequestBytes(long bytes) {
      if (bytes < 1 || bytes > Integer.MAX_VALUE - 1) {
        throw new IllegalArgumentException("max request size must be 1 B..2 GiB");
      }
      this.maxRequestBytes = bytes;
      return this;
    }

    /** How many recently changed tasks {@code GET /v1/tasks} can list (default 10,000). */
    public Builder withRecentTasks(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("recent tasks must be positive");
      }
      this.recentTasks = count;
      return this;
    }

    /** Also observes every lifecycle event the gateway sees (on its reader thread; be quick). */
    public Builder withEventObserver(Consumer<LifecycleEvent> observer) {
      this.observer = Objects.requireNonNull(observer, "observer");
      return this;
    }

    /**
     * Builds the gateway; it connects on {@link Gateway#start()}.
     *
     * @throws IllegalStateException when no tokens were set
     */
    public Gateway build() {
      if (tokens == null) {
        throw new IllegalStateException("set bearer tokens, or BearerTokens.open() for none");
      }
      return new Gateway(this);
    }
  }
}
