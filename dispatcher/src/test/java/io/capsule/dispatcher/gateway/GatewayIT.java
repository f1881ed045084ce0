package io.capsule.dispatcher.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.dispatcher.FleetConnection;
import io.capsule.dispatcher.TopicAdmin;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ComputeLevel;
import io.capsule.worker.CapsuleWorker;
import io.capsule.worker.WorkerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The gateway over real HTTP, in front of a real worker on the embedded broker. */
@ExtendWith(KafkaBrokerExtension.class)
class GatewayIT {
  private static final String TOKEN = "test-token-" + UUID.randomUUID();
  private static final Path HELLO = Path.of("../examples/hello.wasm");
  private static final Duration BOUND = Duration.ofSeconds(60);

  private static final HttpClient http = HttpClient.newHttpClient();
  private static CapsuleWorker worker;
  private static Gateway gateway;
  private static String base;

  @BeforeAll
  static void start(@BootstrapServers String servers) {
    String prefix = "g" + UUID.randomUUID().toString().substring(0, 8);
    FleetConnection connection = FleetConnection.of(servers).withTopicPrefix(prefix);
    try (TopicAdmin admin = TopicAdmin.connect(connection)) {
      admin.create(1, Optional.empty());
    }
    worker =
        CapsuleWorker.create(
                WorkerConfig.builder()
                    .withBootstrapServers(servers)
                    .withTopicPrefix(prefix)
                    .withLevels(Set.of(ComputeLevel.LOW, ComputeLevel.MEDIUM))
                    .withCreateTopics(false)
                    .withWorkerId("gateway-it")
                    .build())
            .start();
    gateway =
        Gateway.builder(connection)
            .withTokens(BearerTokens.parse(TOKEN))
            .withMaxRequestBytes(64 * 1024)
            .build();
    base = "http://127.0.0.1:" + gateway.start();
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (worker != null) {
      worker.shutdown().join();
    }
  }

  @Test
  void submittedTaskAnswers202ThenItsEnvelopeFromARealWorker() throws Exception {
    HttpResponse<String> submitted = post("/v1/tasks", request(Files.readAllBytes(HELLO), "LOW"));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    String id = CapsuleJson.readTree(submitted.body()).get("id").asText();
    assertThat(submitted.headers().firstValue("Location")).hasValue("/v1/tasks/" + id);

    HttpResponse<String> result = get("/v1/tasks/" + id + "/result?wait=50s", TOKEN);
    assertThat(result.statusCode()).as(result.body()).isEqualTo(200);
    JsonNode envelope = CapsuleJson.readTree(result.body());
    assertThat(envelope.get("success").asBoolean()).as(result.body()).isTrue();
    assertThat(envelope.at("/result/name").asText()).isEqualTo("world");
    assertThat(envelope.get("task_id").asText()).isEqualTo(id);

    HttpResponse<String> status = get("/v1/tasks/" + id, TOKEN);
    assertThat(status.statusCode()).isEqualTo(200);
    assertThat(CapsuleJson.readTree(status.body()).get("task_id").asText()).isEqualTo(id);
  }

  @Test
  void resultWithoutWaitAnswers202WhileTheTaskIsNotFinal() throws Exception {
    // MEDIUM is served too, but HIGH has no worker here: the task stays queued.
    HttpResponse<String> submitted = post("/v1/tasks", request(Files.readAllBytes(HELLO), "HIGH"));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    String id = CapsuleJson.readTree(submitted.body()).get("id").asText();

    HttpResponse<String> result = get("/v1/tasks/" + id + "/result?wait=1s", TOKEN);
    assertThat(result.statusCode()).as(result.body()).isEqualTo(202);
    assertThat(CapsuleJson.readTree(result.body()).get("state").asText()).isEqualTo("queued");
  }

  @Test
  void listsTasksByStateAsTheEventListenerSeesThem() throws Exception {
    HttpResponse<String> bad =
        post("/v1/tasks", request("\0asm\1\0\0\0 not a module".getBytes(), "LOW"));
    assertThat(bad.statusCode()).as(bad.body()).isEqualTo(202);
    String id = CapsuleJson.readTree(bad.body()).get("id").asText();

    await()
        .atMost(BOUND)
        .untilAsserted(
            () -> {
              HttpResponse<String> list = get("/v1/tasks?state=dead_lettered&limit=50", TOKEN);
              assertThat(list.statusCode()).isEqualTo(200);
              JsonNode tasks = CapsuleJson.readTree(list.body()).get("tasks");
              assertThat(tasks.findValuesAsText("task_id")).contains(id);
              assertThat(tasks.findValuesAsText("state")).containsOnly("dead_lettered");
            });
    HttpResponse<String> succeeded = get("/v1/tasks?state=succeeded", TOKEN);
    assertThat(CapsuleJson.readTree(succeeded.body()).get("tasks").findValuesAsText("task_id"))
        .doesNotContain(id);

    HttpResponse<String> replay = post("/v1/dlq/replay", "{\"dry_run\":true}");
    assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
    assertThat(CapsuleJson.readTree(replay.body()).get("entries").findValuesAsText("task_id"))
        .contains(id);
  }

  @Test
  void everyEndpointButHealthAnswers401WithoutAValidToken() throws Exception {
    for (String path : new String[] {"/v1/tasks", "/v1/tasks/x", "/v1/tasks/x/result"}) {
      HttpResponse<String> none = get(path, null);
      assertThat(none.statusCode()).as(path).isEqualTo(401);
      assertThat(none.headers().firstValue("Content-Type").orElse(""))
          .startsWith("application/problem+json");
      assertThat(get(path, "wrong").statusCode()).as(path).isEqualTo(401);
    }
    HttpResponse<String> submit =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/tasks"))
                .POST(BodyPublishers.ofString("{}"))
                .build(),
            BodyHandlers.ofString());
    assertThat(submit.statusCode()).isEqualTo(401);

    HttpResponse<String> health = get("/health", null);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"ok\"");
  }

  @Test
  void malformedRequestAnswers400ProblemJson() throws Exception {
    for (String body : new String[] {"{not json", "[]", "{\"id\":\"x\"}"}) {
      HttpResponse<String> response = post("/v1/tasks", body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(response.headers().firstValue("Content-Type").orElse(""))
          .startsWith("application/problem+json");
      JsonNode problem = CapsuleJson.readTree(response.body());
      assertThat(problem.get("status").asInt()).isEqualTo(400);
      assertThat(problem.get("detail").asText()).isNotBlank();
    }
    assertThat(
            CapsuleJson.readTree(post("/v1/tasks", "{\"id\":\"x\"}").body()).get("detail").asText())
        .contains("module");
  }

  @Test
  void bodyOverTheLimitAnswers413() throws Exception {
    HttpResponse<String> response = post("/v1/tasks", request(new byte[100 * 1024], "LOW"));
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(response.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/problem+json");
  }

  @Test
  void unknownTaskAnswers404() throws Exception {
    String id = "nobody-" + UUID.randomUUID();
    HttpResponse<String> status = get("/v1/tasks/" + id, TOKEN);
    assertThat(status.statusCode()).isEqualTo(404);
    assertThat(status.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/problem+json");
    assertThat(get("/v1/tasks/" + id + "/result", TOKEN).statusCode()).isEqualTo(404);
  }

  @Test
  void dashboardPageIsServedAtTheRoot() throws Exception {
    HttpResponse<String> page = get("/", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(page.body()).contains("/v1/tasks");
  }

  private static String request(byte[] module, String compute) {
    return "{\"schema\":\"capsule.task/v1\",\"task\":\"main\",\"module\":{\"inline\":\""
        + Base64.getEncoder().encodeToString(module)
        + "\"},\"args\":[],\"limits\":{\"compute\":\""
        + compute
        + "\",\"timeout\":\"20s\",\"max_retries\":0}}";
  }

  private static HttpResponse<String> post(String path, String body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/json")
            .POST(BodyPublishers.ofString(body))
            .build(),
        BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path, String token)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), BodyHandlers.ofString());
  }
}
