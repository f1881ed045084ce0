package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.HostRequest;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.testing.LocalHttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * capsule-run's README examples for Python, as written (only URLs point at a local server), on the
 * real CPython 3.12 WASI interpreter against a real local HTTP server; all share one sandbox. Tasks
 * (those with files too) resume from the interpreter snapshot (prepared on first use: minutes).
 */
class PythonTaskTest {
  @TempDir static Path files;
  private static LocalHttpServer server;
  private static ScriptSandbox scripts;
  private static Sandbox sandbox;

  @BeforeAll
  static void start() throws IOException {
    server = LocalHttpServer.start();
    Files.createDirectories(files.resolve("data"));
    Files.createDirectories(files.resolve("output"));
    Files.writeString(files.resolve("data/input.txt"), "from the host");
    scripts = new ScriptSandbox(files, Map.of("API_KEY", "k-123", "NOT_GRANTED", "hidden"));
    sandbox = scripts.sandbox();
  }

  @AfterAll
  static void stop() {
    scripts.close();
    server.close();
  }

  @BeforeEach
  void forgetRequests() {
    server.clear();
  }

  private static ResultEnvelope run(String name, String source, String... args) throws IOException {
    List<JsonNode> argv = Arrays.stream(args).map(a -> (JsonNode) TextNode.valueOf(a)).toList();
    return scripts.run(name, source, "main", argv);
  }

  @Test
  void helloReturnsItsStringUnderLowCompute() throws IOException {
    var envelope =
        run(
            "hello.py",
            """
            from capsule import task

            @task(name="main", compute="LOW", ram="64MB")
            def main() -> str:
                return "Hello from Capsule!"
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asText()).isEqualTo("Hello from Capsule!");
  }

  @Test
  void argumentsReachMainAndATaskCallRunsInItsOwnSandbox() throws IOException {
    var envelope =
        run(
            "sub.py",
            """
            from capsule import task

            @task(name="analyze_data", compute="MEDIUM", ram="512MB", timeout="30s", max_retries=1)
            def analyze_data(dataset: list) -> dict:
                \"""Process data in an isolated, resource-controlled environment.\"""
                # Your code runs safely in a Wasm sandbox
                return {"processed": len(dataset), "status": "complete"}

            @task(name="main", compute="HIGH")
            def main(who: str) -> dict:
                return {"who": who, "first": analyze_data([1, 2, 3])}
            """,
            "me");
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString())
        .isEqualTo("{\"who\":\"me\",\"first\":{\"processed\":3,\"status\":\"complete\"}}");
  }

  @Test
  void readOnlyAndReadWriteDirectoriesAsInTheReadme() throws IOException {
    var envelope =
        run(
            "files.py",
            """
            from capsule import task

            @task(name="main", allowed_files=[
                {"path": "./data", "mode": "read-only"},
                {"path": "./output", "mode": "read-write"},
            ])
            def main() -> str:
                with open("./data/input.txt") as f:
                    content = f.read()
                with open("./output/result.txt", "w") as f:
                    f.write(content)
                return content
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().asText()).isEqualTo("from the host");
    assertThat(Files.readString(files.resolve("output/result.txt"))).isEqualTo("from the host");
    // tasks with files resume from the snapshot too (PythonSnapshotTest checks it per task)
    assertThat(sandbox.prepare(scripts.read("files.py")).resumable()).isTrue();
  }

  @Test
  void writingToAReadOnlyDirectoryOrOutsideTheGrantsFailsAsForWasmTasksAndPrintsAreLogs()
      throws IOException {
    var envelope =
        run(
            "refused.py",
            """
            import errno
            from capsule import task

            @task(name="main", allowed_files=[{"path": "./data", "mode": "ro"}])
            def main() -> dict:
                seen = {}
                for key, path, mode in [("read_only", "./data/new.txt", "w"),
                                        ("outside", "./output/result.txt", "r"),
                                        ("escape", "./data/../output/x.txt", "w")]:
                    try:
                        open(path, mode).close()
                        seen[key] = "allowed"
                    except OSError as e:
                        seen[key] = errno.errorcode.get(e.errno, str(e.errno))
                print("checked", len(seen))
                return seen
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().path("read_only").asText()).isEqualTo("EROFS");
    assertThat(envelope.result().path("outside").asText()).isNotEqualTo("allowed");
    assertThat(envelope.result().path("escape").asText()).isNotEqualTo("allowed");
    assertThat(envelope.logs()).contains("checked 3");
    assertThat(files.resolve("data/new.txt")).doesNotExist();
    assertThat(files.resolve("output/x.txt")).doesNotExist();
  }

  @Test
  void onlyTheListedEnvironmentVariablesAreVisible() throws IOException {
    var envelope =
        run(
            "env.py",
            """
            from capsule import task
            import os

            @task(name="main", env_variables=["API_KEY"])
            def main() -> dict:
                api_key = os.environ.get("API_KEY")
                return {"api_key": api_key, "other": os.environ.get("NOT_GRANTED")}
            """);
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result().toString()).isEqualTo("{\"api_key\":\"k-123\",\"other\":null}");
  }

  @Test
  void urlopenAsInTheReadmeReachesTheAllowedHost() throws IOException {
    var envelope =
        run(
            "net.py",
            """
            import json
            from capsule import task
            from urllib.request import urlopen

            @task(name="main", allowed_hosts=["127.0.0.1", "*.anthropic.com"])
            def main() -> dict:
                with urlopen("%s") as response:
                    return json.loads(response.read().decode("utf-8"))
            """
                .formatted(server.url("/models")));
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    assertThat(envelope.result()).isEqualTo(CapsuleJson.readTree(LocalHttpServer.MODELS));
    assertThat(envelope.execution().hostRequests())
        .containsExactly(new HostRequest("GET", server.url("/models"), 200));
  }

  @Test
  void urllibRequestsCarryMethodHeadersAndDataAndHttpErrorsAndDenialsAreRaised()
      throws IOException {
    var envelope =
        run(
            "urllib_full.py",
            """
            import json
            import urllib.error
            import urllib.request
            from capsule import task

            @task(name="main", allowed_hosts=["127.0.0.1"])
            def main() -> dict:
                req = urllib.request.Request(
                    "%s",
                    data=json.dumps({"n": 7}).encode("utf-8"),
                    headers={"Content-Type": "application/json", "Authorization": "Bearer top-secret"},
                    method="PUT",
                )
                with urllib.request.urlopen(req, timeout=10) as response:
                    echoed = json.loads(response.read())
                    status = response.status
                try:
                    urllib.request.urlopen("%s")
                    http_error = None
                except urllib.error.HTTPError as e:
                    http_error = {"code": e.code, "header": e.headers["x-status"], "body": e.read().decode()}
                try:
                    urllib.request.urlopen("https://example.com/")
                    denied = None
                except urllib.error.URLError as e:
                    denied = {"os_error": isinstance(e.reason, OSError), "reason": str(e.reason)}
                return {"status": status, "echoed": echoed, "http_error": http_error, "denied": denied}
            """
                .formatted(server.url("/echo"), server.url("/status?code=418")));
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    JsonNode result = envelope.result();
    assertThat(result.path("status").asInt()).isEqualTo(200);
    assertThat(result.path("echoed").toString()).isEqualTo("{\"n\":7}");
    assertThat(result.path("http_error").toString())
        .isEqualTo("{\"code\":418,\"header\":\"418\",\"body\":\"status 418\"}");
    assertThat(result.path("denied").path("os_error").asBoolean()).isTrue();
    assertThat(result.path("denied").path("reason").asText())
        .contains("example.com")
        .contains("allowed_hosts");
    assertThat(server.received().get(0).authorization()).isEqualTo("Bearer top-secret");
    assertThat(envelope.execution().hostRequests())
        .containsExactly(
            new HostRequest("PUT", server.url("/echo"), 200),
            new HostRequest("GET", server.url("/status?code=418"), 418),
            new HostRequest("GET", "https://example.com/", 0));
    assertThat(CapsuleJson.write(envelope.execution())).doesNotContain("top-secret", "\"n\"");
  }

  @Test
  void httpClientConnectionsAndCapsuleHttpGoThroughTheHost() throws IOException {
    String hostPort = server.url("").substring("http://".length());
    var envelope =
        run(
            "client.py",
            """
            import http.client
            from capsule import task
            from capsule.http import get, post

            @task(name="main", allowed_hosts=["127.0.0.1"])
            def main() -> dict:
                host, port = "%s".split(":")
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
                conn.request("GET", "/hello")
                response = conn.getresponse()
                hello = {"status": response.status, "reason": response.reason,
                         "token": response.getheader("x-token"), "body": response.read().decode(),
                         "names": sorted(name.lower() for name, _ in response.getheaders())}
                conn.request("POST", "/echo", body=b"raw bytes", headers={"X-Kind": "raw"})
                echoed = conn.getresponse().read().decode()
                try:
                    http.client.HTTPSConnection("example.com").request("GET", "/")
                    denied = None
                except OSError as e:
                    denied = type(e).__name__
                api = post("http://%s/echo", json={"k": "v"})
                return {"hello": hello, "echoed": echoed, "denied": denied,
                        "api": {"ok": api.ok(), "status": api.status_code, "json": api.json(),
                                "missing": get("http://%s/nothing").status_code}}
            """
                .formatted(hostPort, hostPort, hostPort));
    assertThat(envelope.success()).as(envelope.toString()).isTrue();
    JsonNode result = envelope.result();
    assertThat(result.path("hello").path("status").asInt()).isEqualTo(200);
    assertThat(result.path("hello").path("reason").asText()).isEqualTo("OK");
    assertThat(result.path("hello").path("token").asText()).isEqualTo(LocalHttpServer.SECRET);
    assertThat(result.path("hello").path("body").asText()).isEqualTo(LocalHttpServer.HELLO);
    assertThat(result.path("echoed").asText()).isEqualTo("raw bytes");
    assertThat(result.path("denied").asText()).isEqualTo("HostDeniedError");
    assertThat(result.path("api").toString())
        .isEqualTo("{\"ok\":true,\"status\":200,\"json\":{\"k\":\"v\"},\"missing\":404}");
    assertThat(envelope.execution().hostRequests())
        .extracting(HostRequest::method, HostRequest::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("GET", 200),
            org.assertj.core.groups.Tuple.tuple("POST", 200),
            org.assertj.core.groups.Tuple.tuple("GET", 0),
            org.assertj.core.groups.Tuple.tuple("POST", 200),
            org.assertj.core.groups.Tuple.tuple("GET", 404));
    assertThat(CapsuleJson.write(envelope.execution())).doesNotContain(LocalHttpServer.SECRET);
  }

  @Test
  void anUncaughtDenialFailsThePermissionDeniedWayAndIsRecorded() throws IOException {
    var envelope =
        run(
            "denied.py",
            """
            from capsule import task
            from urllib.request import urlopen

            @task(name="main")
            def main() -> str:
                with urlopen("http://api.example.com/v1/models?api_key=SECRET") as response:
                    return response.read().decode()
            """);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.PERMISSION_DENIED);
    assertThat(envelope.error().message()).contains("api.example.com").contains("URLError");
    assertThat(CapsuleJson.write(envelope)).doesNotContain("SECRET");
    assertThat(envelope.execution().hostRequests())
        .containsExactly(new HostRequest("GET", "http://api.example.com/v1/models", 0));
    assertThat(server.received()).isEmpty();
  }

  @Test
  void raisedExceptionBecomesTaskErrorWithItsText() throws IOException {
    var envelope =
        run(
            "raise.py",
            """
            from capsule import task

            @task(name="main")
            def main():
                raise ValueError("bad input 7")
            """);
    assertThat(envelope.error().errorType())
        .as(envelope.toString())
        .isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message()).contains("ValueError: bad input 7");
  }

  @Test
  void infiniteLoopUnderLowRunsOutOfFuel() throws IOException {
    var envelope =
        run(
            "spin.py",
            """
            from capsule import task

            @task(name="main", compute="LOW")
            def main():
                while True:
                    pass
            """);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.FUEL_EXHAUSTED);
    assertThat(envelope.execution().fuelConsumed()).isEqualTo(100_000_000L);
  }

  /**
   * The timeout counts from the attempt's start, interpreter start-up included: with a cold
   * interpreter (seconds) a 2 s task times out before its own code runs.
   */
  @Test
  void infiniteLoopWithATimeoutStops() throws IOException {
    var envelope =
        run(
            "slow.py",
            """
            from capsule import task

            @task(name="main", compute="HIGH", timeout="2s")
            def main():
                while True:
                    pass
            """);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat(envelope.execution().durationMs()).isLessThan(4_000);
  }

  /** With a timeout longer than the cold start-up, the task's own loop runs and is stopped. */
  @Test
  @Tag("slow") // runs into a 30 s timeout
  void aTimeoutStopsTheTasksOwnRunningLoop() throws IOException {
    var envelope =
        run(
            "slow_loop.py",
            """
            from capsule import task

            @task(name="main", compute="HIGH", timeout="30s")
            def main():
                print("looping", flush=True)
                while True:
                    pass
            """);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat(envelope.logs()).contains("looping");
    assertThat(envelope.execution().fuelConsumed()).isPositive();
  }
}
