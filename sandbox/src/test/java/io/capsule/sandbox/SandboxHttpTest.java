package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.HostRequest;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import io.capsule.sandbox.testing.LocalHttpServer;
import io.capsule.sandbox.testing.SandboxesByMode;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code capsule.http_request} end to end: the C SDK example against a real local server. */
class SandboxHttpTest {
  @TempDir static Path cache;
  private static SandboxesByMode sandboxes;
  private static LocalHttpServer server;
  private static Sandbox proxied;
  private static Sandbox unopened;

  /** The local server is on loopback: an internal host, reached only as the operator's choice. */
  private static final List<String> OPERATOR_OPENS_LOOPBACK = List.of("127.0.0.1");

  @BeforeAll
  static void start() {
    server = LocalHttpServer.start();
    sandboxes =
        SandboxesByMode.create(
            cache,
            b ->
                b.withHttp(HttpConfig.builder().withPrivateHosts(OPERATOR_OPENS_LOOPBACK).build()));
    proxied =
        Sandbox.create(
            config(ExecutionMode.COMPILED)
                .withHttp(
                    HttpConfig.builder()
                        .withProxy(server.asProxy())
                        .withPrivateHosts(OPERATOR_OPENS_LOOPBACK)
                        .build())
                .build());
    unopened = Sandbox.create(config(ExecutionMode.COMPILED).build());
  }

  private static SandboxConfig.Builder config(ExecutionMode mode) {
    return SandboxConfig.builder().withExecutionMode(mode).withCacheDir(cache);
  }

  @AfterAll
  static void stop() {
    sandboxes.close();
    proxied.close();
    unopened.close();
    server.close();
  }

  @BeforeEach
  void forgetRequests() {
    server.clear();
  }

  private static ResultEnvelope get(Sandbox sandbox, String url, TaskOptions options) {
    PreparedModule module = sandbox.prepare(Corpus.sdkExample("http_get"));
    return sandbox.run(module, new TaskCall(options, List.of(TextNode.valueOf(url))));
  }

  private static TaskOptions allowing(String... hosts) {
    return TaskOptions.builder().allowedHosts(List.of(hosts)).build();
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void allowedHostAnswersAndTheBodyReachesTheResult(ExecutionMode mode) {
    String url = server.url("/hello");
    ResultEnvelope envelope = get(sandboxes.get(mode), url, allowing("127.0.0.1"));

    assertThat(envelope.success()).as("%s", envelope.error()).isTrue();
    assertThat(envelope.result().get("status").asInt()).isEqualTo(200);
    assertThat(envelope.result().get("bytes").asInt()).isEqualTo(LocalHttpServer.HELLO.length());
    assertThat(envelope.result().get("body").asText()).isEqualTo(LocalHttpServer.HELLO);
    assertThat(envelope.execution().hostRequests())
        .containsExactly(new HostRequest("GET", url, 200));
    assertThat(server.received()).hasSize(1);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void deniedHostIsANetworkErrorForTheGuestRecordedWithoutAConnection(ExecutionMode mode) {
    String url = server.url("/hello");
    ResultEnvelope envelope = get(sandboxes.get(mode), url, allowing("example.com"));

    assertThat(envelope.success()).isFalse();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.PERMISSION_DENIED);
    assertThat(envelope.error().message()).contains("(-2)").contains("host_denied");
    assertThat(envelope.execution().hostRequests()).containsExactly(new HostRequest("GET", url, 0));
    assertThat(server.received()).isEmpty();
  }

  @Test
  void withoutAllowedHostsEveryHostIsDenied() {
    ResultEnvelope envelope =
        get(sandboxes.get(ExecutionMode.COMPILED), server.url("/hello"), TaskOptions.NONE);

    assertThat(envelope.error().message()).contains("host_denied");
    assertThat(server.received()).isEmpty();
  }

  @Test
  void starAllowsAnyHost() {
    ResultEnvelope envelope =
        get(sandboxes.get(ExecutionMode.COMPILED), server.url("/hello"), allowing("*"));

    assertThat(envelope.result().get("status").asInt()).isEqualTo(200);
  }

  @Test
  void aDomainRuleAllowsTheDomainAndItsSubdomains() {
    ResultEnvelope sub = get(proxied, "http://api.example.test/hello", allowing("Example.TEST"));
    ResultEnvelope apex = get(proxied, "http://example.test/hello", allowing("example.test"));

    assertThat(sub.result().get("status").asInt()).isEqualTo(200);
    assertThat(apex.result().get("status").asInt()).isEqualTo(200);
    assertThat(server.received())
        .extracting(LocalHttpServer.Received::host)
        .containsExactly("api.example.test", "example.test");
  }

  @Test
  void aWildcardRuleAllowsSubdomainsOnly() {
    ResultEnvelope sub = get(proxied, "http://api.example.test/hello", allowing("*.example.test"));
    ResultEnvelope apex = get(proxied, "http://example.test/hello", allowing("*.example.test"));
    ResultEnvelope other = get(proxied, "http://badexample.test/hello", allowing("example.test"));

    assertThat(sub.result().get("status").asInt()).isEqualTo(200);
    assertThat(apex.error().message()).contains("host_denied");
    assertThat(other.error().message()).contains("host_denied");
    assertThat(server.received())
        .extracting(LocalHttpServer.Received::host)
        .containsExactly("api.example.test");
  }

  @Test
  void redirectToADeniedHostIsRefusedBeforeConnecting() {
    String url = server.url("/redirect?to=http://denied.test/hello");
    ResultEnvelope envelope = get(proxied, url, allowing("127.0.0.1"));

    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.PERMISSION_DENIED);
    assertThat(envelope.error().message()).contains("host_denied").contains("redirect");
    assertThat(envelope.execution().hostRequests())
        .containsExactly(
            new HostRequest("GET", url, 302),
            new HostRequest("GET", "http://denied.test/hello", 0));
    assertThat(server.received())
        .extracting(LocalHttpServer.Received::path)
        .containsExactly("/redirect");
  }

  @Test
  void theMetadataAddressIsNotReachedThroughStarNorThroughARedirect() {
    Sandbox sandbox = sandboxes.get(ExecutionMode.COMPILED);
    String metadata = "http://169.254.169.254/latest/meta-data/";
    ResultEnvelope direct = get(sandbox, metadata, allowing("*"));
    String bounce = server.url("/redirect?to=" + metadata);
    ResultEnvelope redirected = get(sandbox, bounce, allowing("*"));

    assertThat(direct.error().errorType()).isEqualTo(ErrorType.PERMISSION_DENIED);
    assertThat(direct.error().message()).contains("host_denied");
    assertThat(direct.execution().hostRequests())
        .containsExactly(new HostRequest("GET", metadata, 0));
    assertThat(redirected.error().errorType()).isEqualTo(ErrorType.PERMISSION_DENIED);
    assertThat(redirected.execution().hostRequests())
        .containsExactly(new HostRequest("GET", bounce, 302), new HostRequest("GET", metadata, 0));
  }

  @Test
  void redirectToAnAllowedHostIsFollowed() {
    String url = server.url("/redirect?to=/hello");
    ResultEnvelope envelope =
        get(sandboxes.get(ExecutionMode.COMPILED), url, allowing("127.0.0.1"));

    assertThat(envelope.result().get("body").asText()).isEqualTo(LocalHttpServer.HELLO);
    assertThat(envelope.execution().hostRequests())
        .extracting(HostRequest::status)
        .containsExactly(302, 200);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aServerThatNeverAnswersEndsTheTaskByItsTimeout(ExecutionMode mode) {
    String url = server.url("/hang");
    TaskOptions options = allowing("127.0.0.1").toBuilder().timeout(Duration.ofSeconds(1)).build();
    long start = System.nanoTime();
    ResultEnvelope envelope = get(sandboxes.get(mode), url, options);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat(envelope.execution().hostRequests()).containsExactly(new HostRequest("GET", url, 0));
  }

  @Test
  void aRefusedConnectionIsANetworkErrorForTheGuest() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port + "/";
    ResultEnvelope envelope =
        get(sandboxes.get(ExecutionMode.COMPILED), url, allowing("127.0.0.1"));

    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message()).contains("connection_failed");
    assertThat(envelope.execution().hostRequests()).containsExactly(new HostRequest("GET", url, 0));
  }

  @Test
  void hostRequestsHoldNoHeaderValuesOrBodies() {
    ResultEnvelope envelope =
        get(sandboxes.get(ExecutionMode.COMPILED), server.url("/hello"), allowing("127.0.0.1"));

    String execution = CapsuleJson.write(envelope.execution());
    assertThat(execution)
        .contains("host_requests")
        .doesNotContain(LocalHttpServer.SECRET)
        .doesNotContain(LocalHttpServer.HELLO);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void answersAreReadOnceByHandleAndUnreadAnswersAreBounded(ExecutionMode mode) {
    Sandbox sandbox = sandboxes.get(mode);
    ResultEnvelope envelope =
        sandbox.run(sandbox.prepare(Corpus.wat("http_handles")), TaskCall.of(List.of()));

    assertThat(envelope.success()).as("%s", envelope.error()).isTrue();
    assertThat(envelope.result().get("ok").asBoolean()).isTrue();
    assertThat(envelope.execution().hostRequests())
        .hasSize(5)
        .allSatisfy(r -> assertThat(r).isEqualTo(new HostRequest("GET", "http://denied.test/", 0)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1",
        "localhost",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "0.0.0.0",
        "2130706433",
        "0x7f.1",
        "127.1",
        "localhost."
      })
  void withoutTheOperatorStarNeverReachesLoopbackInAnySpelling(String host) {
    String url = server.url("/hello").replace("127.0.0.1", host);
    ResultEnvelope envelope = get(unopened, url, allowing("*"));

    assertThat(envelope.success()).isFalse();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.PERMISSION_DENIED);
    assertThat(envelope.error().message()).contains("host_denied");
    assertThat(server.received()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"169.254.169.254", "localhost", "127.0.0.1", "metadata.google.internal"})
  void aTaskNamingAnInternalHostItselfDoesNotReachIt(String host) {
    String url = server.url("/hello").replace("127.0.0.1", host);
    ResultEnvelope envelope = get(unopened, url, allowing(host));

    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.PERMISSION_DENIED);
    assertThat(envelope.error().message()).contains("host_denied");
    assertThat(server.received()).isEmpty();
  }

  /**
   * The operator's ceiling is the operator's word too: a host it names literally is opened for the
   * tasks it bounds (a local run's {@code --allow-host 127.0.0.1}, a worker's {@code
   * --allow-hosts}); a wildcard ceiling opens nothing internal.
   */
  @Test
  void aCeilingNamingAnInternalHostLiterallyOpensItAndAWildcardCeilingDoesNot() {
    OperatorCeiling naming =
        new OperatorCeiling(null, null, null, null, null, List.of("127.0.0.1"), null, null);
    OperatorCeiling wildcard =
        new OperatorCeiling(null, null, null, null, null, List.of("*"), null, null);
    try (Sandbox named =
            Sandbox.create(config(ExecutionMode.COMPILED).withCeiling(naming).build());
        Sandbox star =
            Sandbox.create(config(ExecutionMode.COMPILED).withCeiling(wildcard).build())) {
      ResultEnvelope opened = get(named, server.url("/hello"), allowing("127.0.0.1"));
      assertThat(opened.success()).as("%s", opened.error()).isTrue();
      assertThat(server.received()).hasSize(1);

      ResultEnvelope closed = get(star, server.url("/hello"), allowing("*"));
      assertThat(closed.error().errorType()).isEqualTo(ErrorType.PERMISSION_DENIED);
      assertThat(closed.error().message()).contains("host_denied");
      assertThat(server.received()).hasSize(1);
    }
  }

  @Test
  void queryStringsAndUserinfoNeverReachTheEnvelope() {
    String withKey = server.url("/hello?api_key=SECRET-KEY#SECRET-FRAGMENT");
    String withUser = server.url("/hello").replace("://", "://user:SECRET-PASSWORD@");
    Sandbox sandbox = sandboxes.get(ExecutionMode.COMPILED);
    ResultEnvelope keyed = get(sandbox, withKey, allowing("127.0.0.1"));
    ResultEnvelope userinfo = get(sandbox, withUser, allowing("127.0.0.1"));

    assertThat(keyed.success()).as("%s", keyed.error()).isTrue();
    assertThat(keyed.execution().hostRequests())
        .containsExactly(new HostRequest("GET", server.url("/hello"), 200));
    assertThat(userinfo.execution().hostRequests())
        .containsExactly(new HostRequest("GET", server.url("/hello"), 0));
    assertThat(CapsuleJson.write(keyed) + CapsuleJson.write(userinfo)).doesNotContain("SECRET");
  }
}
