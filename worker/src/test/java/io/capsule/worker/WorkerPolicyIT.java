package io.capsule.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.FileGrant;
import io.capsule.protocol.OperatorCeiling.OverCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.testing.Corpus;
import io.capsule.sandbox.testing.LocalHttpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker policy against requests produced straight to a task topic, as any producer can: they
 * ask for the worker's own variables, for {@code /etc}, for a 100-day timeout, and hostile modules
 * run beside good ones. Each ends in its own envelope; no secret value reaches any topic.
 */
@ExtendWith(KafkaBrokerExtension.class)
class WorkerPolicyIT {
  private final String jaasSecret = "jaas-secret-" + UUID.randomUUID();
  private final String plantedSecret = "planted-secret-" + UUID.randomUUID();

  /** The worker's process environment as the tests give it: its credentials, a secret, one more. */
  private Map<String, String> workerEnvironment() {
    return Map.of(
        "CAPSULE_KAFKA_SASL_JAAS_CONFIG", jaasSecret,
        "DB_PASSWORD", plantedSecret,
        "GREETING", "hello-allowed");
  }

  private CapsuleWorker start(TestFleet fleet, WorkerPolicy policy) {
    return fleet.startWorker(
        c ->
            c.withLevels(Set.of(ComputeLevel.LOW))
                .withEnvironment(workerEnvironment())
                .withPolicy(policy));
  }

  @Test
  void greedyAndHostileRequestsEndInTheirEnvelopesBesideGoodOnesAndNoSecretReachesATopic(
      @BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers);
        LocalHttpServer loopback = LocalHttpServer.start()) {
      start(
          fleet,
          WorkerPolicy.builder()
              .withEnvVariables(List.of("GREETING"))
              .withMaxTimeout(Duration.ofMinutes(1))
              .withDefaultTimeout(Duration.ofSeconds(30))
              .build());
      Map<String, String> produced = new LinkedHashMap<>();
      for (int i = 0; i < 4; i++) {
        produced.put("good-" + i, request("hello", List.of(), "\"compute\":\"LOW\"", ""));
      }
      produced.put("spin", request("spin_br", List.of(), "\"compute\":\"LOW\"", ""));
      produced.put("trap", request("unreachable", List.of(), "\"compute\":\"LOW\"", ""));
      produced.put(
          "bomb", request("memory_bomb", List.of(), "\"compute\":\"LOW\",\"ram\":\"1MB\"", ""));
      produced.put(
          "secrets",
          probe(
              List.of("env", "DB_PASSWORD"),
              "\"compute\":\"LOW\"",
              "\"env_variables\":[\"CAPSULE_KAFKA_SASL_JAAS_CONFIG\",\"DB_PASSWORD\"]"));
      produced.put(
          "etc",
          probe(
              List.of("read", "/etc/passwd"),
              "\"compute\":\"LOW\"",
              "\"allowed_files\":[\"/etc\"]"));
      produced.put(
          "forever", request("hello", List.of(), "\"compute\":\"LOW\",\"timeout\":\"2400h\"", ""));
      produced.put(
          "greeting",
          probe(
              List.of("env", "GREETING"),
              "\"compute\":\"LOW\"",
              "\"env_variables\":[\"GREETING\"]"));
      produced.put("unasked", probe(List.of("env", "DB_PASSWORD"), "\"compute\":\"LOW\"", ""));
      // '*' asked by the producer, a loopback server as the target: never reached
      produced.put(
          "loopback",
          json(
              Corpus.sdkExample("http_get"),
              List.of(loopback.url("/hello")),
              "\"compute\":\"LOW\"",
              "\"allowed_hosts\":[\"*\"]"));
      produced.forEach((id, json) -> send(fleet, id, json));

      Map<String, ResultEnvelope> envelopes = awaitAll(fleet, produced.keySet());
      for (int i = 0; i < 4; i++) {
        assertThat(envelopes.get("good-" + i).success()).isTrue();
      }
      assertFailure(envelopes.get("spin"), ErrorType.FUEL_EXHAUSTED, "");
      assertFailure(envelopes.get("trap"), ErrorType.WASM_ERROR, "");
      assertFailure(envelopes.get("bomb"), ErrorType.MEMORY_LIMIT, "");
      assertFailure(
          envelopes.get("secrets"), ErrorType.PERMISSION_DENIED, "CAPSULE_KAFKA_SASL_JAAS_CONFIG");
      assertFailure(envelopes.get("etc"), ErrorType.PERMISSION_DENIED, "allowed_files");
      assertFailure(envelopes.get("forever"), ErrorType.INVALID_REQUEST, "timeout");
      assertThat(envelopes.get("greeting").result().get("data").asText())
          .isEqualTo("hello-allowed");
      assertThat(envelopes.get("unasked").result().path("data").isMissingNode()).isTrue();
      assertFailure(envelopes.get("loopback"), ErrorType.PERMISSION_DENIED, "host_denied");
      assertThat(loopback.received()).as("requests the loopback server saw").isEmpty();
      assertNoSecretOnAnyTopic(fleet);
    }
  }

  @Test
  void clampLowersTheGreedyRequestAndTheTaskSeesOnlyAllowlistedVariables(
      @BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      start(
          fleet,
          WorkerPolicy.builder()
              .withEnvVariables(List.of("GREETING"))
              .withMaxTimeout(Duration.ofMinutes(1))
              .withOverCeiling(OverCeiling.CLAMP)
              .build());
      send(
          fleet,
          "forever",
          request("hello", List.of(), "\"compute\":\"HIGH\",\"timeout\":\"2400h\"", ""));
      send(
          fleet,
          "secrets",
          probe(
              List.of("env", "DB_PASSWORD"),
              "\"compute\":\"LOW\"",
              "\"env_variables\":[\"GREETING\",\"DB_PASSWORD\",\"CAPSULE_KAFKA_SASL_JAAS_CONFIG\"]"));
      send(
          fleet,
          "etc",
          probe(
              List.of("read", "/etc/passwd"),
              "\"compute\":\"LOW\"",
              "\"allowed_files\":[\"/etc\"]"));

      Map<String, ResultEnvelope> envelopes = awaitAll(fleet, List.of("forever", "secrets", "etc"));
      ResultEnvelope forever = envelopes.get("forever");
      assertThat(forever.success()).isTrue();
      assertThat(forever.execution().fuelConsumed()).isLessThan(ComputeLevel.LOW.fuel());
      assertThat(envelopes.get("secrets").result().path("data").isMissingNode()).isTrue();
      assertThat(envelopes.get("etc").result().path("data").isMissingNode()).isTrue();
      assertNoSecretOnAnyTopic(fleet);
    }
  }

  @Test
  void filesAreGrantedOnlyUnderTheFilesRootAndReadOnlyWhenItIs(
      @BootstrapServers String servers, @TempDir Path root) throws Exception {
    Files.createDirectories(root.resolve("in"));
    Files.writeString(root.resolve("in/data.txt"), "inside the root");
    try (TestFleet fleet = new TestFleet(servers)) {
      start(fleet, WorkerPolicy.builder().withFilesRoot(FileGrant.parse(root + ":ro")).build());
      send(
          fleet,
          "ro",
          probe(
              List.of("read", "in/data.txt"),
              "\"compute\":\"LOW\"",
              "\"allowed_files\":[\"in:ro\"]"));
      send(
          fleet,
          "rw",
          probe(
              List.of("read", "in/data.txt"), "\"compute\":\"LOW\"", "\"allowed_files\":[\"in\"]"));
      send(
          fleet,
          "etc",
          probe(
              List.of("read", "/etc/passwd"),
              "\"compute\":\"LOW\"",
              "\"allowed_files\":[\"/etc:ro\"]"));

      Map<String, ResultEnvelope> envelopes = awaitAll(fleet, List.of("ro", "rw", "etc"));
      assertThat(envelopes.get("ro").result().get("data").asText()).isEqualTo("inside the root");
      assertFailure(envelopes.get("rw"), ErrorType.PERMISSION_DENIED, "read-only");
      assertFailure(envelopes.get("etc"), ErrorType.PERMISSION_DENIED, "/etc");
    }
  }

  @Test
  void aRequestNamingNoTimeoutGetsThePolicysDefault(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      start(fleet, WorkerPolicy.builder().withDefaultTimeout(Duration.ofSeconds(1)).build());
      send(fleet, "sleeper", request("sleep_3s", List.of(), "\"compute\":\"LOW\"", ""));

      ResultEnvelope envelope = awaitAll(fleet, List.of("sleeper")).get("sleeper");
      assertFailure(envelope, ErrorType.TIMEOUT, "");
    }
  }

  private static void assertFailure(ResultEnvelope envelope, ErrorType type, String named) {
    assertThat(envelope.success()).as("%s", envelope).isFalse();
    assertThat(envelope.error().errorType()).as("%s", envelope.error()).isEqualTo(type);
    assertThat(envelope.error().message()).contains(named);
  }

  /** Every record on every topic of the fleet, values and header values alike. */
  private void assertNoSecretOnAnyTopic(TestFleet fleet) {
    fleet.assertNoRecordContains(jaasSecret, plantedSecret);
  }

  private static Map<String, ResultEnvelope> awaitAll(TestFleet fleet, Iterable<String> ids) {
    Map<String, ResultEnvelope> envelopes = new LinkedHashMap<>();
    for (String id : ids) {
      envelopes.put(id, WorkerIT.awaitFinal(fleet, id));
    }
    return envelopes;
  }

  private static void send(TestFleet fleet, String id, String json) {
    fleet.send(
        fleet.topics().tasks(ComputeLevel.LOW),
        id,
        json.replace("\"id\":\"?\"", "\"id\":\"" + id + "\"")
            .replace("REPLY", fleet.topics().results())
            .getBytes(StandardCharsets.UTF_8));
  }

  private static String probe(List<String> args, String limits, String permissions) {
    return json(Corpus.resource("wasi/fileprobe.wasm"), args, limits, permissions);
  }

  private static String request(String wat, List<String> args, String limits, String permissions) {
    return json(Corpus.wat(wat), args, limits, permissions);
  }

  /** A request as a non-Java producer writes it, with whatever limits and permissions it likes. */
  private static String json(byte[] wasm, List<String> args, String limits, String permissions) {
    StringBuilder argv = new StringBuilder();
    for (String arg : args) {
      argv.append(argv.length() == 0 ? "" : ",").append('"').append(arg).append('"');
    }
    return "{\"schema\":\"capsule.task/v1\",\"id\":\"?\",\"task\":\"main\","
        + "\"module\":{\"inline\":\""
        + Base64.getEncoder().encodeToString(wasm)
        + "\"},\"args\":["
        + argv
        + "],\"limits\":{"
        + limits
        + "},\"permissions\":{"
        + permissions
        + "},\"reply_to\":\"REPLY\"}";
  }
}
