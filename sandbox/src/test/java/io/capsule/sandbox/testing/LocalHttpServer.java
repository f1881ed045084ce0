package io.capsule.sandbox.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on {@code 127.0.0.1} with fixed routes, recording every request it receives.
 * It also serves as a forward proxy for plain {@code http} (see {@link #asProxy()}), so tests can
 * use any host name without DNS.
 *
 * <ul>
 *   <li>{@code /hello}: 200, text {@value #HELLO}, header {@code x-token: }{@value #SECRET}
 *   <li>{@code /echo}: 200, echoes the request body
 *   <li>{@code /binary}: 200, four bytes that are not UTF-8
 *   <li>{@code /big}: 200, {@value #BIG_BYTES} bytes
 *   <li>{@code /hang}: never answers until the server is closed
 *   <li>{@code /redirect?to=URL}: 302 to URL
 *   <li>{@code /models}: 200, the JSON {@value #MODELS}
 *   <li>{@code /status?code=N}: status N, text {@code status N}, header {@code x-status: N}
 * </ul>
 */
public final class LocalHttpServer implements AutoCloseable {
  /** The body of {@code /hello}. */
  public static final String HELLO = "hello from the local server";

  /** A response header value that must never be recorded. */
  public static final String SECRET = "s3cr3t-response-token";

  /** The body of {@code /models}. */
  public static final String MODELS = "{\"object\":\"list\",\"data\":[{\"id\":\"local-model\"}]}";

  /** The size of {@code /big}. */
  public static final int BIG_BYTES = 64 << 10;

  /**
   * One request as the server saw it.
   *
   * @param headers every header, names in lower case
   */
  public record Received(
      String method,
      String path,
      String host,
      String authorization,
      java.util.Map<String, List<String>> headers) {
    /** Whether a header of this name (any case) arrived. */
    public boolean has(String name) {
      return headers.containsKey(name.toLowerCase(java.util.Locale.ROOT));
    }
  }

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final CountDownLatch closing = new CountDownLatch(1);
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final java.util.Map<String, CountDownLatch> meetings =
      new java.util.concurrent.ConcurrentHashMap<>();

  private LocalHttpServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts a server on a free loopback port. */
  public static LocalHttpServer start() {
    try {
      return new LocalHttpServer();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code http://127.0.0.1:PORT} + path. */
  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  /** A proxy selector sending every connection to this server. */
  public ProxySelector asProxy() {
    return ProxySelector.of(server.getAddress());
  }

  /** The requests received so far. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  /** Forgets the requests received so far. */
  public void clear() {
    received.clear();
  }

  private static java.util.Map<String, List<String>> lowerCase(
      java.util.Map<String, List<String>> headers) {
    java.util.Map<String, List<String>> copy = new java.util.TreeMap<>();
    headers.forEach((k, v) -> copy.put(k.toLowerCase(java.util.Locale.ROOT), List.copyOf(v)));
    return copy;
  }

  private void handle(HttpExchange exchange) throws IOException {
    var headers = exchange.getRequestHeaders();
    received.add(
        new Received(
            exchange.getRequestMethod(),
            exchange.getRequestURI().getPath(),
            headers.getFirst("Host"),
            headers.getFirst("Authorization"),
            lowerCase(headers)));
    byte[] requestBody = exchange.getRequestBody().readAllBytes();
    String path = exchange.getRequestURI().getPath();
    switch (path) {
      case "/hello" -> {
        exchange.getResponseHeaders().add("x-token", SECRET);
        reply(exchange, 200, HELLO.getBytes(StandardCharsets.UTF_8));
      }
      case "/echo" -> reply(exchange, 200, requestBody);
      case "/binary" -> reply(exchange, 200, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
      case "/big" -> reply(exchange, 200, new byte[BIG_BYTES]);
      case "/bytes" -> reply(exchange, 200, filled(exchange.getRequestURI().getQuery()));
      case "/hang" -> hang(exchange);
      case "/meet" -> meet(exchange);
      case "/redirect" -> {
        String to = exchange.getRequestURI().getQuery().substring("to=".length());
        exchange.getResponseHeaders().add("Location", to);
        reply(exchange, 302, new byte[0]);
      }
      case "/models" -> {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        reply(exchange, 200, MODELS.getBytes(StandardCharsets.UTF_8));
      }
      case "/status" -> {
        String code = exchange.getRequestURI().getQuery().substring("code=".length());
        exchange.getResponseHeaders().add("x-status", code);
        reply(
            exchange, Integer.parseInt(code), ("status " + code).getBytes(StandardCharsets.UTF_8));
      }
      default -> reply(exchange, 404, new byte[0]);
    }
  }

  /**
   * {@code /meet?key=K}: a rendezvous of two requests with the same key. Each waits (up to 30 s)
   * for the other and answers {@code together} if it came, {@code alone} if not: two callers that
   * run at the same time both get {@code together}, two that run one after the other do not.
   */
  private void meet(HttpExchange exchange) throws IOException {
    String key = String.valueOf(exchange.getRequestURI().getQuery());
    CountDownLatch latch = meetings.computeIfAbsent(key, k -> new CountDownLatch(2));
    latch.countDown();
    boolean together;
    try {
      together = latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      together = false;
    }
    reply(exchange, 200, (together ? "together" : "alone").getBytes(StandardCharsets.UTF_8));
  }

  private void hang(HttpExchange exchange) {
    try {
      closing.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    exchange.close();
  }

  /** {@code /bytes?n=N}: a body of N ASCII letters. */
  private static byte[] filled(String query) {
    byte[] body = new byte[Integer.parseInt(query.substring("n=".length()))];
    java.util.Arrays.fill(body, (byte) 'x');
    return body;
  }

  private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (var out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
    threads.shutdownNow();
  }
}
