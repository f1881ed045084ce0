package io.capsule.dispatcher.gateway;

import io.capsule.dispatcher.FleetConnection;
import io.capsule.dispatcher.TopicAdmin;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.ModuleRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.worker.CapsuleWorker;
import io.capsule.worker.WorkerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A fleet for gateway tests on the shared broker: fresh topics under their own prefix, one real
 * in-process worker consuming LOW and MEDIUM (HIGH has none, so HIGH tasks stay queued), and a
 * gateway with an admin, a submit and a read token. Also a small HTTP client for it (admin token
 * unless told otherwise).
 */
final class GatewayFleet implements AutoCloseable {
  /** An admin token. */
  static final String TOKEN = "test-token-0123456789abcdef";

  /** A submit token. */
  static final String SUBMIT_TOKEN = "submit-token-0123456789abcdef";

  /** A read token. */
  static final String READ_TOKEN = "read-token-0123456789abcdef";

  final FleetConnection connection;
  final CapsuleWorker worker;
  final CapsuleGateway gateway;
  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(10))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  GatewayFleet(String servers) {
    String prefix = "g" + UUID.randomUUID().toString().substring(0, 8);
    connection = FleetConnection.of(servers).withTopicPrefix(prefix);
    try (TopicAdmin admin = TopicAdmin.connect(connection)) {
      admin.create(2, Optional.empty());
    }
    worker =
        CapsuleWorker.create(
                WorkerConfig.builder()
                    .withBootstrapServers(servers)
                    .withTopicPrefix(prefix)
                    .withLevels(Set.of(ComputeLevel.LOW, ComputeLevel.MEDIUM))
                    .withConcurrency(2)
                    .withCreateTopics(false)
                    .withWorkerId("gw-worker")
                    // script tasks: the interpreters cached by the sandbox's tests
                    .withCacheDir(
                        java.nio.file.Path.of(
                            System.getProperty(
                                "capsule.test.shared.cache", "target/shared-test-cache")))
                    .build())
            .start();
    gateway =
        CapsuleGateway.start(
            connection,
            GatewayConfig.builder()
                .withTokens(
                    BearerTokens.of(Set.of("admin:" + TOKEN, SUBMIT_TOKEN, "read:" + READ_TOKEN)))
                .withMaxRequestBytes(256 * 1024)
                .build());
  }

  /** A task request JSON for a module, as a non-Java client would write it. */
  static String requestJson(byte[] module, TaskOptions options) {
    return CapsuleJson.write(TaskRequest.of(ModuleRef.inline(module), List.of(), options));
  }

  HttpResponse<String> get(String path) {
    return send(authorized(path).GET());
  }

  HttpResponse<String> post(String path, String body) {
    return send(authorized(path).POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  HttpResponse<String> delete(String path) {
    return send(authorized(path).DELETE());
  }

  /** A request with a token, any method; a body for every method but GET. */
  HttpResponse<String> send(String token, String method, String path, String body) {
    HttpRequest.BodyPublisher publisher =
        method.equals("GET")
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body);
    return send(request(path).header("Authorization", "Bearer " + token).method(method, publisher));
  }

  HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(gateway.url() + path))
        .timeout(Duration.ofSeconds(90))
        .header("Content-Type", "application/json");
  }

  private HttpRequest.Builder authorized(String path) {
    return request(path).header("Authorization", "Bearer " + TOKEN);
  }

  @Override
  public void close() {
    gateway.close();
    worker.shutdown().join();
  }
}
