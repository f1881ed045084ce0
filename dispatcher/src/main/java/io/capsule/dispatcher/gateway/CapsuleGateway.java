package io.capsule.dispatcher.gateway;

import io.capsule.dispatcher.CapsuleClient;
import io.capsule.dispatcher.FleetConnection;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * The HTTP gateway and dashboard of a fleet: submit, status, results, recent tasks, dead-letter
 * replay, Prometheus metrics and health over HTTP, on Javalin (Jetty). Every path but {@code
 * /health} needs a bearer token unless the config runs open, and each route a {@link TokenScope}
 * ({@link #routeScopes()}): reads need {@code read}, submitting {@code submit}, cancel and replay
 * {@code admin}. Errors are {@code application/problem+json}. See {@code docs/openapi.yaml}.
 *
 * <pre>{@code
 * try (CapsuleGateway gateway = CapsuleGateway.start(connection, GatewayConfig.builder()
 *     .withPort(8080).withTokens(BearerTokens.fromFile(path)).build())) { ... }
 * }</pre>
 */
public final class CapsuleGateway implements AutoCloseable {
  private static final String ASSETS = "/io/capsule/dispatcher/gateway/";

  private final GatewayConfig config;
  private final CapsuleClient client;
  private final TaskBoard board;
  private final GatewayMetrics metrics;
  private final ExecutorService waiters;
  private final Map<String, TokenScope> routes = new LinkedHashMap<>();
  private final Javalin app;

  private CapsuleGateway(
      FleetConnection connection, GatewayConfig config, Consumer<CapsuleClient.Builder> tune) {
    this.config = config;
    this.board = new TaskBoard(connection, config.recentCapacity()).start();
    CapsuleClient.Builder builder =
        CapsuleClient.builder().connection(connection).queuedEvents(true);
    tune.accept(builder);
    this.client = builder.build();
    this.metrics = new GatewayMetrics(board);
    this.waiters = Executors.newCachedThreadPool(CapsuleGateway::waiterThread);
    RequestBodies bodies = new RequestBodies(config.maxRequestBytes());
    TaskRoutes tasks = new TaskRoutes(client, board, metrics, bodies, config.maxWait(), waiters);
    ReplayRoute replay = new ReplayRoute(connection, bodies);
    Access access = new Access(config.tokens(), bodies);
    this.app =
        Javalin.create(
            c -> {
              c.showJavalinBanner = false;
              c.http.maxRequestSize = config.maxRequestBytes();
              c.router.ignoreTrailingSlashes = true;
            });
    app.before(access::check);
    app.after(this::count);
    app.exception(Exception.class, (e, ctx) -> Json.problem(ctx, e));
    app.error(404, this::noRoute);
    app.error(405, this::noRoute);
    route(HandlerType.POST, "/v1/tasks", TokenScope.SUBMIT, tasks::submit);
    route(HandlerType.GET, "/v1/tasks", TokenScope.READ, tasks::list);
    route(HandlerType.GET, "/v1/tasks/{id}", TokenScope.READ, tasks::status);
    route(HandlerType.DELETE, "/v1/tasks/{id}", TokenScope.ADMIN, tasks::cancel);
    route(HandlerType.GET, "/v1/tasks/{id}/result", TokenScope.READ, tasks::result);
    route(HandlerType.GET, "/v1/stats", TokenScope.READ, tasks::stats);
    route(HandlerType.POST, "/v1/dlq/replay", TokenScope.ADMIN, replay::replay);
    route(HandlerType.GET, "/metrics", TokenScope.READ, this::metrics);
    route(HandlerType.GET, "/health", TokenScope.READ, this::health);
    route(HandlerType.GET, "/openapi.yaml", TokenScope.READ, ctx -> asset(ctx, "openapi.yaml"));
    route(HandlerType.GET, "/", TokenScope.READ, ctx -> asset(ctx, "dashboard/index.html"));
    route(
        HandlerType.GET,
        "/dashboard/{file}",
        TokenScope.READ,
        ctx -> asset(ctx, "dashboard/" + file(ctx)));
  }

  /** Starts a gateway on a fleet with the given config. */
  public static CapsuleGateway start(FleetConnection connection, GatewayConfig config) {
    return start(connection, config, b -> {});
  }

  /**
   * Starts a gateway whose client is tuned further (e.g. an event observer for {@code capsule up}'s
   * live lines).
   */
  public static CapsuleGateway start(
      FleetConnection connection, GatewayConfig config, Consumer<CapsuleClient.Builder> tune) {
    CapsuleGateway gateway = new CapsuleGateway(connection, config, tune);
    try {
      gateway.app.start(config.host(), config.port());
      return gateway;
    } catch (RuntimeException e) {
      gateway.close();
      throw e;
    }
  }

  /** The port bound. */
  public int port() {
    return app.port();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:8080}. */
  public String url() {
    String host = config.host().equals("0.0.0.0") ? "127.0.0.1" : config.host();
    return "http://" + host + ":" + port();
  }

  /** Every route served, as {@code METHOD /path/{param}}; the OpenAPI document lists the same. */
  public List<String> routes() {
    return List.copyOf(routes.keySet());
  }

  /**
   * The scope each route needs, by {@code METHOD /path/{param}} ({@code /health} needs no token at
   * all); the OpenAPI document states the same.
   */
  public Map<String, TokenScope> routeScopes() {
    return Collections.unmodifiableMap(routes);
  }

  /** Stops serving, then closes the recent view and the client. */
  @Override
  public void close() {
    app.stop();
    waiters.shutdownNow();
    board.close();
    client.close();
  }

  private void route(HandlerType method, String path, TokenScope scope, Handler handler) {
    app.addHttpHandler(
        method,
        path,
        ctx -> {
          Access.require(ctx, scope);
          handler.handle(ctx);
        });
    routes.put(method.name() + " " + path, scope);
  }

  private void metrics(Context ctx) {
    ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
  }

  private void health(Context ctx) {
    boolean up = board.healthy();
    Json.write(ctx, up ? 200 : 503, Map.of("status", up ? "UP" : "DOWN"));
  }

  private void noRoute(Context ctx) {
    if (ctx.attribute(Json.PROBLEM_WRITTEN) == null) {
      Json.problem(
          ctx,
          new Problem(
              ctx.status().getCode(),
              "no-route",
              "No such endpoint",
              ctx.method() + " " + ctx.path() + " is not served (see /openapi.yaml)"));
    }
  }

  private void count(Context ctx) {
    String route = ctx.endpointHandlerPath();
    metrics.request(ctx.method().name(), route.isEmpty() ? "unmatched" : route, ctx.statusCode());
  }

  private static String file(Context ctx) {
    String file = ctx.pathParam("file");
    if (!file.matches("[a-z0-9-]+\\.(js|css|html|svg)")) {
      throw Problem.notFound("no asset " + file);
    }
    return file;
  }

  private static void asset(Context ctx, String name) {
    try (InputStream in = CapsuleGateway.class.getResourceAsStream(ASSETS + name)) {
      if (in == null) {
        throw Problem.notFound("no asset " + name);
      }
      ctx.contentType(mediaType(name))
          .header("Cache-Control", "no-cache")
          .result(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String mediaType(String name) {
    String ext = name.substring(name.lastIndexOf('.') + 1);
    return switch (ext) {
      case "html" -> "text/html; charset=utf-8";
      case "js" -> "text/javascript; charset=utf-8";
      case "css" -> "text/css; charset=utf-8";
      case "svg" -> "image/svg+xml";
      default -> "application/yaml; charset=utf-8";
    };
  }

  private static Thread waiterThread(Runnable task) {
    Thread thread = new Thread(task, "capsule-gateway-wait");
    thread.setDaemon(true);
    return thread;
  }
}
