package io.capsule.dispatcher.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(KafkaBrokerExtension.class)
class CapsuleGatewayIT {
  private static final Duration BOUND = Duration.ofSeconds(60);
  private static GatewayFleet fleet;

  @BeforeAll
  static void startFleet(@BootstrapServers String servers) {
    fleet = new GatewayFleet(servers);
  }

  @AfterAll
  static void stopFleet() {
    fleet.close();
  }

  @Test
  void submittedTaskRunsOnRealWorkerAndResultWaitReturnsEnvelope() {
    String id = submit(Corpus.wat("hello"), TaskOptions.NONE);

    HttpResponse<String> result = fleet.get("/v1/tasks/" + id + "/result?wait=30s");
    assertThat(result.statusCode()).isEqualTo(200);
    JsonNode envelope = json(result);
    assertThat(envelope.get("success").asBoolean()).isTrue();
    assertThat(envelope.at("/result/hello").asText()).isEqualTo("world");
    assertThat(envelope.get("task_id").asText()).isEqualTo(id);
    assertThat(envelope.at("/execution/fuel_consumed").asLong()).isPositive();

    JsonNode status = json(fleet.get("/v1/tasks/" + id));
    assertThat(status.get("state").asText()).isEqualTo("succeeded");
    assertThat(status.get("worker").asText()).isEqualTo("gw-worker");
  }

  @Test
  void submitAnswers202WithIdLevelAndLocation() {
    HttpResponse<String> response =
        fleet.post(
            "/v1/tasks",
            GatewayFleet.requestJson(
                Corpus.wat("hello"),
                TaskOptions.builder().compute(Compute.of(ComputeLevel.LOW)).build()));
    assertThat(response.statusCode()).isEqualTo(202);
    JsonNode body = json(response);
    assertThat(body.get("level").asText()).isEqualTo("low");
    assertThat(response.headers().firstValue("Location"))
        .contains("/v1/tasks/" + body.get("task_id").asText());
  }

  @Test
  void requestWithoutIdGetsOneGenerated() {
    String module = java.util.Base64.getEncoder().encodeToString(Corpus.wat("hello"));
    HttpResponse<String> response =
        fleet.post("/v1/tasks", "{\"module\":{\"inline\":\"" + module + "\"}}");
    assertThat(response.statusCode()).isEqualTo(202);
    assertThat(json(response).get("task_id").asText()).hasSize(36);
  }

  @Test
  void failedTaskIsListedUnderFailedFilterWithItsErrorType() {
    String id = submit(Corpus.wat("unreachable"), TaskOptions.NONE);
    assertThat(
            json(fleet.get("/v1/tasks/" + id + "/result?wait=30s"))
                .at("/error/error_type")
                .asText())
        .isEqualTo("wasm_error");

    await()
        .atMost(BOUND)
        .until(() -> ids(fleet.get("/v1/tasks?state=failed&limit=50")).contains(id));
    JsonNode listed = json(fleet.get("/v1/tasks?state=failed&limit=50")).get("tasks");
    assertThat(listed.findValuesAsText("state")).isSubsetOf("failed", "dead_lettered");
    assertThat(listed.findValuesAsText("error_type")).contains("wasm_error");
  }

  @Test
  void statsCountTasksByStateAndLevel() {
    String id =
        submit(
            Corpus.wat("hello"),
            TaskOptions.builder().compute(Compute.of(ComputeLevel.LOW)).build());
    fleet.get("/v1/tasks/" + id + "/result?wait=30s");
    await()
        .atMost(BOUND)
        .untilAsserted(
            () -> {
              JsonNode stats = json(fleet.get("/v1/stats"));
              assertThat(stats.at("/by_state/succeeded").asLong()).isPositive();
              assertThat(stats.at("/by_level/low/succeeded").asLong()).isPositive();
              assertThat(stats.get("finished_last_minute").asLong()).isPositive();
            });
  }

  @Test
  void unfinishedTaskResultIs202ThenCancelMakesIt409() {
    String id =
        submit(
            Corpus.wat("hello"),
            TaskOptions.builder().compute(Compute.of(ComputeLevel.HIGH)).build());

    HttpResponse<String> pending = fleet.get("/v1/tasks/" + id + "/result?wait=1s");
    assertThat(pending.statusCode()).isEqualTo(202);
    assertThat(json(pending).get("state").asText()).isEqualTo("queued");

    assertThat(fleet.delete("/v1/tasks/" + id).statusCode()).isEqualTo(202);
    assertProblem(fleet.get("/v1/tasks/" + id + "/result"), 409);
    assertProblem(fleet.delete("/v1/tasks/" + id), 409);
  }

  @Test
  void scriptTaskSubmittedOverHttpRunsOnItsInterpreter() {
    String source =
        "import { task } from \"@capsule-run/sdk\";\n"
            + "export const main = task({ name: \"main\", compute: \"LOW\" },"
            + " (who) => `Hello, ${who}`);\n";
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.putObject("script").put("file_name", "hello.js").put("source", source);
    body.putArray("args").add("Ada");
    body.putObject("limits").put("compute", "LOW");
    HttpResponse<String> submitted = fleet.post("/v1/tasks", body.toString());
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    String id = json(submitted).get("task_id").asText();

    HttpResponse<String> result = fleet.get("/v1/tasks/" + id + "/result?wait=60s");
    assertThat(result.statusCode()).as(result.body()).isEqualTo(200);
    assertThat(json(result).get("result").asText()).isEqualTo("Hello, Ada");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "not json",
        "[1,2]",
        "{\"id\":\"x\"}",
        "{\"schema\":\"capsule.task/v9\",\"module\":{\"sha256\":\"00\"}}",
        "{\"module\":{\"inline\":\"AGFzbQEAAAA=\"},\"limits\":{\"compute\":\"EXTREME\"}}",
        "{\"script\":{\"file_name\":\"task.rb\",\"source\":\"1\"}}",
        "{\"script\":{\"file_name\":\"task.py\"}}"
      })
  void invalidTaskRequestIs400ProblemJson(String body) {
    assertProblem(fleet.post("/v1/tasks", body), 400);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "\"limits\":{\"ram\":\"lots\"}|/limits/ram|size 'lots' is not understood",
        "\"limits\":{\"max_retries\":-3}|/limits/max_retries|must be between 0 and 100",
        "\"permissions\":{\"allowed_files\":[\"data\",{\"path\":\"x\",\"mode\":\"rwx\"}]}"
            + "|/permissions/allowed_files/1|file mode must be ro or rw"
      })
  void aRefusedFieldIsNamedInTheDetailAndAsAPointer(String part, String pointer, String reason) {
    String body = "{\"module\":{\"inline\":\"AGFzbQEAAAA=\"}," + part + "}";
    JsonNode problem = json(assertProblem(fleet.post("/v1/tasks", body), 400));

    String field = pointer.substring(1).replace('/', '.').replace(".1", "[1]");
    assertThat(problem.get("detail").asText()).startsWith(field + ": ").contains(reason);
    assertThat(problem.get("errors")).hasSize(1);
    assertThat(problem.get("errors").get(0).get("pointer").asText()).isEqualTo("#" + pointer);
    assertThat(problem.get("errors").get(0).get("detail").asText()).contains(reason);
  }

  @Test
  void everyEndpointButHealthAnswers401WithoutToken() {
    for (String route : fleet.gateway.routes()) {
      String method = route.substring(0, route.indexOf(' '));
      String path =
          route
              .substring(route.indexOf(' ') + 1)
              .replace("{id}", "x")
              .replace("{file}", "dashboard.js");
      HttpResponse<String> response =
          fleet.send(fleet.request(path).method(method, HttpRequest.BodyPublishers.ofString("{}")));
      if (path.equals("/health")) {
        assertThat(response.statusCode()).isEqualTo(200);
      } else {
        assertProblem(response, 401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).isPresent();
      }
    }
    HttpResponse<String> wrong =
        fleet.send(
            fleet.request("/v1/stats").header("Authorization", "Bearer wrong-token-0123456789"));
    assertProblem(wrong, 401);
  }

  @Test
  void dashboardLinkSetsGetOnlyCookie() {
    HttpResponse<String> redirect =
        fleet.send(fleet.request("/?access_token=" + GatewayFleet.TOKEN));
    assertThat(redirect.statusCode()).isBetween(301, 303);
    String setCookie = redirect.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie.split(";\\s*")).contains("Secure", "HttpOnly", "SameSite=Strict");
    String cookie = setCookie.split(";")[0];

    HttpResponse<String> page = fleet.send(fleet.request("/").header("Cookie", cookie));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("Capsule fleet");
    assertThat(fleet.send(fleet.request("/v1/stats").header("Cookie", cookie)).statusCode())
        .isEqualTo(200);
    HttpResponse<String> post =
        fleet.send(
            fleet
                .request("/v1/dlq/replay")
                .header("Cookie", cookie)
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertProblem(post, 401);
    HttpResponse<String> delete =
        fleet.send(fleet.request("/v1/tasks/x").header("Cookie", cookie).DELETE());
    assertProblem(delete, 401);
  }

  @Test
  void submitTokenSubmitsAndReadsButCannotCancelOrReplay() {
    String body =
        GatewayFleet.requestJson(
            Corpus.wat("hello"),
            TaskOptions.builder().compute(Compute.of(ComputeLevel.HIGH)).build());
    HttpResponse<String> submitted = asSubmitter("POST", "/v1/tasks", body);
    assertThat(submitted.statusCode()).isEqualTo(202);
    String id = json(submitted).get("task_id").asText();
    assertThat(asSubmitter("GET", "/v1/tasks/" + id, "").statusCode()).isEqualTo(200);
    assertThat(asSubmitter("GET", "/v1/tasks/" + id + "/result", "").statusCode()).isEqualTo(202);
    assertThat(asSubmitter("GET", "/v1/tasks?limit=5", "").statusCode()).isEqualTo(200);

    assertForbidden(asSubmitter("DELETE", "/v1/tasks/" + id, ""), "admin", "submit");
    assertForbidden(asSubmitter("POST", "/v1/dlq/replay", "{\"dry_run\":true}"), "admin", "submit");
    assertThat(json(fleet.get("/v1/tasks/" + id)).get("state").asText()).isEqualTo("queued");

    assertThat(fleet.delete("/v1/tasks/" + id).statusCode()).isEqualTo(202);
    assertThat(fleet.post("/v1/dlq/replay", "{\"dry_run\":true}").statusCode()).isEqualTo(200);
  }

  @Test
  void readTokenReadsButCannotSubmit() {
    String body = GatewayFleet.requestJson(Corpus.wat("hello"), TaskOptions.NONE);
    assertForbidden(
        fleet.send(GatewayFleet.READ_TOKEN, "POST", "/v1/tasks", body), "submit", "read");
    assertThat(fleet.send(GatewayFleet.READ_TOKEN, "GET", "/v1/stats", "").statusCode())
        .isEqualTo(200);
    assertThat(fleet.send(GatewayFleet.READ_TOKEN, "GET", "/metrics", "").statusCode())
        .isEqualTo(200);
  }

  @Test
  void everyRouteIsForbiddenExactlyToTokensBelowItsScope() {
    Map<TokenScope, String> tokens =
        Map.of(
            TokenScope.READ, GatewayFleet.READ_TOKEN,
            TokenScope.SUBMIT, GatewayFleet.SUBMIT_TOKEN,
            TokenScope.ADMIN, GatewayFleet.TOKEN);
    for (var route : fleet.gateway.routeScopes().entrySet()) {
      String method = route.getKey().substring(0, route.getKey().indexOf(' '));
      String path =
          route
              .getKey()
              .substring(route.getKey().indexOf(' ') + 1)
              .replace("{id}", "no-such-task")
              .replace("{file}", "dashboard.css");
      for (var token : tokens.entrySet()) {
        // bodies that are refused (400) or harmless (a dry run) when the scope lets them through
        HttpResponse<String> response =
            fleet.send(token.getValue(), method, path, "{\"dry_run\":true}");
        assertThat(response.statusCode() == 403)
            .as(token.getKey() + " token on " + route.getKey() + ": " + response.body())
            .isEqualTo(!token.getKey().covers(route.getValue()));
      }
    }
  }

  @Test
  void bodyOverTheLimitIs413() {
    String big = "{\"pad\":\"" + "x".repeat(300 * 1024) + "\"}";
    assertProblem(fleet.post("/v1/tasks", big), 413);
  }

  @Test
  void unknownTaskAndUnknownRouteAre404Problems() {
    assertProblem(fleet.get("/v1/tasks/no-such-task"), 404);
    assertProblem(fleet.get("/v1/tasks/no-such-task/result?wait=1s"), 404);
    assertThat(json(assertProblem(fleet.get("/v2/nothing"), 404)).get("title").asText())
        .isEqualTo("No such endpoint");
  }

  @Test
  void badQueryParametersAre400() {
    assertProblem(fleet.get("/v1/tasks?state=sleeping"), 400);
    assertProblem(fleet.get("/v1/tasks?limit=0"), 400);
    assertProblem(fleet.get("/v1/tasks?level=huge"), 400);
    assertProblem(fleet.get("/v1/tasks/x/result?wait=soon"), 400);
  }

  @Test
  void metricsArePrometheusTextWithRequestCounts() {
    fleet.get("/v1/stats");
    HttpResponse<String> metrics = fleet.get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
    assertThat(metrics.body())
        .contains(
            "capsule_gateway_requests_total{method=\"GET\",route=\"/v1/stats\",status=\"200\"}")
        .contains("capsule_gateway_tracked_tasks{state=\"succeeded\"}");
  }

  @Test
  void dlqReplayDryRunReportsCounts() {
    HttpResponse<String> response = fleet.post("/v1/dlq/replay", "{\"dry_run\":true}");
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode report = json(response);
    assertThat(report.get("dry_run").asBoolean()).isTrue();
    assertThat(report.has("would_replay")).isTrue();
    assertProblem(fleet.post("/v1/dlq/replay", "{\"error_type\":\"nonsense\"}"), 400);
  }

  @Test
  void deadLetteredTaskIsReplayedOverHttp() {
    String id = submit(Corpus.wat("exit_3"), TaskOptions.builder().maxRetries(0).build());
    JsonNode envelope = json(fleet.get("/v1/tasks/" + id + "/result?wait=30s"));
    assertThat(envelope.at("/error/error_type").asText()).isEqualTo("task_error");
    await()
        .atMost(BOUND)
        .until(
            () -> json(fleet.get("/v1/tasks/" + id)).get("state").asText(),
            s -> s.equals("dead_lettered"));

    JsonNode report = json(fleet.post("/v1/dlq/replay", "{\"error_type\":\"task_error\"}"));
    assertThat(report.get("entries").findValuesAsText("task_id")).contains(id);
    assertThat(report.get("replayed").asLong()).isPositive();
  }

  @Test
  void openApiDocumentListsExactlyTheServedRoutes() throws Exception {
    HttpResponse<String> doc = fleet.get("/openapi.yaml");
    assertThat(doc.statusCode()).isEqualTo(200);
    JsonNode paths = new YAMLMapper().readTree(doc.body()).get("paths");
    Set<String> documented = new TreeSet<>();
    for (var path : paths.properties()) {
      for (var operation : path.getValue().properties()) {
        if (!operation.getKey().equals("parameters")) {
          documented.add(operation.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
        }
      }
    }
    assertThat(documented).isEqualTo(new TreeSet<>(fleet.gateway.routes()));
    for (String route : documented) {
      String method = route.substring(0, route.indexOf(' '));
      String path = route.substring(route.indexOf(' ') + 1).replace("{file}", "dashboard.css");
      HttpResponse<String> response =
          fleet.send(
              fleet
                  .request(path.replace("{id}", "no-such-task"))
                  .header("Authorization", "Bearer " + GatewayFleet.TOKEN)
                  .method(method, HttpRequest.BodyPublishers.ofString("{\"dry_run\":true}")));
      assertThat(response.body()).as(route).doesNotContain("No such endpoint");
    }
  }

  @Test
  void openApiDocumentNamesTheScopeEachRouteChecks() throws Exception {
    JsonNode paths = new YAMLMapper().readTree(fleet.get("/openapi.yaml").body()).get("paths");
    for (var route : fleet.gateway.routeScopes().entrySet()) {
      String method = route.getKey().substring(0, route.getKey().indexOf(' '));
      String path = route.getKey().substring(route.getKey().indexOf(' ') + 1);
      JsonNode operation = paths.get(path).get(method.toLowerCase(Locale.ROOT));
      String documented = operation.path("x-capsule-scope").asText("none");
      if (path.equals("/health")) {
        assertThat(documented).as(route.getKey()).isEqualTo("none");
      } else {
        assertThat(documented).as(route.getKey()).isEqualTo(route.getValue().wireName());
        assertThat(operation.at("/responses/403").isMissingNode())
            .as(route.getKey() + " documents 403")
            .isEqualTo(route.getValue() == TokenScope.READ);
      }
    }
  }

  private static String submit(byte[] module, TaskOptions options) {
    HttpResponse<String> response =
        fleet.post("/v1/tasks", GatewayFleet.requestJson(module, options));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    return json(response).get("task_id").asText();
  }

  private static HttpResponse<String> assertProblem(HttpResponse<String> response, int status) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/problem+json");
    JsonNode problem = json(response);
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    assertThat(problem.get("title").asText()).isNotBlank();
    return response;
  }

  private static List<String> ids(HttpResponse<String> response) {
    return json(response).get("tasks").findValuesAsText("task_id");
  }

  private static JsonNode json(HttpResponse<String> response) {
    return CapsuleJson.readTree(response.body());
  }

  private static HttpResponse<String> asSubmitter(String method, String path, String body) {
    return fleet.send(GatewayFleet.SUBMIT_TOKEN, method, path, body);
  }

  private static void assertForbidden(HttpResponse<String> response, String needed, String had) {
    JsonNode problem = json(assertProblem(response, 403));
    assertThat(problem.get("type").asText()).isEqualTo("urn:capsule:problem:forbidden");
    assertThat(problem.get("detail").asText())
        .contains("needs a token with scope " + needed)
        .contains("this token's scope is " + had);
  }
}
