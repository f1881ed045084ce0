package io.capsule.worker.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Serves {@code GET /metrics} (Prometheus text) and {@code GET /health} (200 UP or 503 DOWN). */
public final class HttpEndpoint implements AutoCloseable {
  private final HttpServer server;

  /** Starts serving on {@code port} (0 = any free port). */
  public HttpEndpoint(int port, Supplier<String> metrics, BooleanSupplier healthy) {
    try {
      server = HttpServer.create(new InetSocketAddress(port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve metrics on port " + port, e);
    }
    server.createContext(
        "/metrics",
        ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
    server.createContext(
        "/health",
        ex -> {
          boolean up = healthy.getAsBoolean();
          String body = up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}";
          respond(ex, up ? 200 : 503, "application/json", body);
        });
    server.start();
  }

  /** The port actually bound. */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Stops serving. */
  @Override
  public void close() {
    server.stop(0);
  }
}
