package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.capsule.dispatcher.CapsuleClient;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code capsule up} as a separate process: its ready line, tasks through its real workers from the
 * Java client, the CLI and kcat (a non-Java Kafka client), and a clean stop on SIGTERM.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CapsuleUpIT {
  private static final Path HELLO = Path.of("../examples/hello.wasm");
  private static final Duration BOUND = Duration.ofSeconds(60);

  private static Process up;
  private static String servers;
  private static String gateway;
  private static String token;
  private static final List<String> stderr = new ArrayList<>();

  @BeforeAll
  static void startUp() throws Exception {
    // The packaged CLI, as ./capsule starts it (not the test classpath).
    Path module = Path.of("").toAbsolutePath();
    String classpath =
        module.resolve("target/capsule-cli.jar")
            + File.pathSeparator
            + module.resolve("target/lib/*");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    long start = System.nanoTime();
    up =
        new ProcessBuilder(
                java,
                "-Xmx768m",
                // its compile cache and installation key under target/, never the user's cache
                "-Dcapsule.cache.dir="
                    + System.getProperty("capsule.cache.dir", "target/capsule-cache"),
                "-cp",
                classpath,
                "io.capsule.cli.Main",
                "up",
                "--verbose")
            .redirectError(ProcessBuilder.Redirect.PIPE)
            .start();
    drain(up);
    var out =
        new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> firstLine(out));
    String line = ready.get(120, TimeUnit.SECONDS);
    System.err.printf(
        "capsule up ready in %d ms: %s%n", (System.nanoTime() - start) / 1_000_000, line);
    assertThat(line).matches("ready bootstrap=127\\.0\\.0\\.1:\\d+ .*");
    assertThat(line).matches(".* gateway=http://127\\.0\\.0\\.1:\\d+ token=\\S{16,}");
    servers = field(line, "bootstrap");
    gateway = field(line, "gateway");
    token = field(line, "token");
  }

  private static String field(String line, String name) {
    for (String part : line.split(" ")) {
      if (part.startsWith(name + "=")) {
        return part.substring(name.length() + 1);
      }
    }
    throw new AssertionError("no " + name + " in " + line);
  }

  @Test
  @Order(3)
  void httpGatewayOfUpRunsATaskWithTheDevelopmentToken() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String body =
        "{\"module\":{\"inline\":\""
            + Base64.getEncoder().encodeToString(Files.readAllBytes(HELLO))
            + "\"},\"limits\":{\"compute\":\"LOW\"}}";
    HttpResponse<String> submitted =
        http.send(
            HttpRequest.newBuilder(URI.create(gateway + "/v1/tasks"))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    String id = CapsuleJson.readTree(submitted.body()).get("task_id").asText();

    HttpResponse<String> result =
        http.send(
            HttpRequest.newBuilder(URI.create(gateway + "/v1/tasks/" + id + "/result?wait=30s"))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(result.statusCode()).as(result.body()).isEqualTo(200);
    assertThat(CapsuleJson.readTree(result.body()).at("/result/name").asText()).isEqualTo("world");
    HttpResponse<String> anonymous =
        http.send(
            HttpRequest.newBuilder(URI.create(gateway + "/v1/tasks/" + id)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    await()
        .atMost(BOUND)
        .untilAsserted(
            () ->
                assertThat(snapshotAll())
                    .anyMatch(l -> l.contains("task " + id + " succeeded level=low")));
  }

  @Test
  @Order(3)
  void submitOfAJsonLinesFileWaitsForEveryEnvelopeWithAProgressBar(@TempDir Path tmp)
      throws Exception {
    String module = Base64.getEncoder().encodeToString(Files.readAllBytes(HELLO));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      lines.add("{\"module\":{\"inline\":\"" + module + "\"},\"limits\":{\"compute\":\"LOW\"}}");
    }
    Path file = Files.write(tmp.resolve("requests.jsonl"), lines);
    CliRun run =
        CliRun.of(
            "submit", "--requests", file.toString(), "--wait", "--bootstrap-servers", servers);
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out().strip().split("\n"))
        .hasSize(5)
        .allMatch(l -> l.contains("\"success\":true"));
    assertThat(run.err())
        .contains("submitting [", "waiting [", "5/5 100%", "5 succeeded, 0 failed");
  }

  @ParameterizedTest
  @EnumSource(
      value = ComputeLevel.class,
      names = {"LOW", "MEDIUM", "HIGH"})
  @Order(1)
  void javaClientGetsAnEnvelopePerLevelFromRealWorkers(ComputeLevel level) throws Exception {
    try (var client = CapsuleClient.builder().bootstrapServers(servers).build()) {
      var options = TaskOptions.builder().compute(Compute.of(level)).build();
      long start = System.nanoTime();
      var handle = client.submit(Files.readAllBytes(HELLO), List.of(), options);
      ResultEnvelope envelope = handle.result().get(BOUND.toSeconds(), TimeUnit.SECONDS);
      System.err.printf("%s round trip %d ms%n", level, (System.nanoTime() - start) / 1_000_000);
      assertThat(envelope.success()).as(CapsuleJson.write(envelope)).isTrue();
      assertThat(envelope.result().get("name").asText()).isEqualTo("world");
      assertThat(envelope.worker()).isEqualTo("up-" + level.topicSuffix());
    }
  }

  @Test
  @Order(2)
  void cliSubmitWaitsForTheResultAndStatusReadsItBack() {
    CliRun submit =
        CliRun.of(
            "submit",
            HELLO.toString(),
            "--compute",
            "LOW",
            "--wait",
            "--json",
            "--bootstrap-servers",
            servers);
    assertThat(submit.exitCode()).as(submit.err()).isZero();
    ResultEnvelope envelope = CapsuleJson.read(submit.out().strip(), ResultEnvelope.class);
    assertThat(envelope.result().get("name").asText()).isEqualTo("world");

    CliRun status =
        CliRun.of("status", envelope.taskId(), "--json", "--bootstrap-servers", servers);
    assertThat(status.exitCode()).as(status.err()).isZero();
    assertThat(status.out()).contains("\"state\":\"succeeded\"").contains("\"name\":\"world\"");
  }

  @Test
  @Order(2)
  void cliSubmitTakesStructuredArgumentsFromAnArgsFileBeforeTheWords(@TempDir Path tmp)
      throws Exception {
    Path script =
        Files.writeString(
            tmp.resolve("echo.js"),
            "import { task } from \"@capsule-run/sdk\";\n"
                + "export const main = task({ name: \"main\", compute: \"LOW\" },"
                + " (...args) => args);\n");
    Path args = Files.writeString(tmp.resolve("args.json"), "[{\"rows\":[1,2,3]},7]");
    CliRun submit =
        CliRun.of(
            "submit",
            script.toString(),
            "last",
            "--args-file",
            args.toString(),
            "--wait",
            "--json",
            "--bootstrap-servers",
            servers);
    assertThat(submit.exitCode()).as(submit.err()).isZero();
    ResultEnvelope envelope = CapsuleJson.read(submit.out().strip(), ResultEnvelope.class);
    assertThat(envelope.result().toString()).isEqualTo("[{\"rows\":[1,2,3]},7,\"last\"]");

    CliRun notAnArray =
        CliRun.of(
            "submit",
            script.toString(),
            "--args-file",
            script.toString(),
            "--bootstrap-servers",
            servers);
    assertThat(notAnArray.exitCode()).isEqualTo(2);
    assertThat(notAnArray.err()).contains(script.toString());
  }

  @Test
  @Order(2)
  void cliSubmitsATypeScriptFileToTheFleet() {
    CliRun submit =
        CliRun.of(
            "submit",
            "../examples/typescript/hello.ts",
            "--wait",
            "--json",
            "--bootstrap-servers",
            servers);
    assertThat(submit.exitCode()).as(submit.err()).isZero();
    ResultEnvelope envelope = CapsuleJson.read(submit.out().strip(), ResultEnvelope.class);
    assertThat(envelope.success()).as(submit.out()).isTrue();
    assertThat(envelope.result().asText()).isEqualTo("Hello from Capsule!");
    assertThat(envelope.worker()).isEqualTo("up-low");
  }

  @Test
  @Order(3)
  void kcatProducesARequestAndReadsItsEnvelope() throws Exception {
    assumeThat(onPath("kcat")).as("kcat on PATH").isTrue();
    String id = "kcat-" + UUID.randomUUID();
    String request =
        "{\"schema\":\"capsule.task/v1\",\"id\":\""
            + id
            + "\",\"task\":\"main\","
            + "\"module\":{\"inline\":\""
            + Base64.getEncoder().encodeToString(Files.readAllBytes(HELLO))
            + "\"},\"args\":[],\"limits\":{\"compute\":\"LOW\",\"ram\":\"16MB\",\"timeout\":\"20s\","
            + "\"max_retries\":1},\"reply_to\":\"capsule.results\"}";
    Process produce =
        new ProcessBuilder(
                "kcat",
                "-P",
                "-b",
                servers,
                "-t",
                "capsule.tasks.low",
                "-k",
                id,
                "-H",
                "capsule-schema=capsule.task/v1",
                "-H",
                "capsule-task-id=" + id)
            .redirectErrorStream(true)
            .start();
    produce.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
    produce.getOutputStream().close();
    assertThat(produce.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(produce.exitValue()).isZero();

    String envelope =
        await()
            .atMost(BOUND)
            .pollInterval(Duration.ofMillis(500))
            .until(() -> kcatRead(id), e -> e != null);
    assertThat(CapsuleJson.readTree(envelope).get("success").asBoolean()).isTrue();
    assertThat(CapsuleJson.readTree(envelope).at("/result/name").asText()).isEqualTo("world");
  }

  @Test
  @Order(4)
  void exitsCleanlyWithinThirtySecondsOnSigterm() throws Exception {
    long start = System.nanoTime();
    up.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its stderr
    assertThat(up.waitFor(30, TimeUnit.SECONDS)).as(String.join("\n", stderr)).isTrue();
    System.err.printf(
        "capsule up stopped in %d ms, exit %d%n",
        (System.nanoTime() - start) / 1_000_000, up.exitValue());
    assertThat(up.exitValue()).isIn(0, 143);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(snapshot())
                    .anyMatch(l -> l.contains("stopped"))
                    .noneMatch(l -> l.matches(".*stopping .* failed.*")));
  }

  @AfterAll
  static void stopUp() {
    if (up != null && up.isAlive()) {
      up.destroyForcibly();
    }
  }

  private static List<String> snapshotAll() {
    synchronized (stderr) {
      return List.copyOf(stderr);
    }
  }

  private static List<String> snapshot() {
    synchronized (stderr) {
      return List.copyOf(stderr.subList(Math.max(0, stderr.size() - 15), stderr.size()));
    }
  }

  private static String kcatRead(String id) throws IOException, InterruptedException {
    Process consume =
        new ProcessBuilder(
                "kcat",
                "-C",
                "-b",
                servers,
                "-t",
                "capsule.results",
                "-o",
                "beginning",
                "-e",
                "-q",
                "-f",
                "%k\\t%s\\n")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String all = new String(consume.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    consume.waitFor(30, TimeUnit.SECONDS);
    for (String line : all.split("\n")) {
      if (line.startsWith(id + "\t")) {
        return line.substring(id.length() + 1);
      }
    }
    return null;
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  private static String firstLine(BufferedReader out) {
    try {
      return out.readLine();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void drain(Process process) {
    Thread thread =
        new Thread(
            () -> {
              try (var err =
                  new BufferedReader(
                      new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = err.readLine()) != null) {
                  synchronized (stderr) {
                    stderr.add(line);
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
            });
    thread.setDaemon(true);
    thread.start();
  }
}
