package io.capsule.sandbox.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import io.capsule.protocol.CapsuleJson;
import io.capsule.sandbox.HttpConfig;
import io.capsule.sandbox.testing.LocalHttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code https} to an address checked before the connection: a real TLS server on loopback whose
 * certificate names only {@code api.test}, reached through a resolver that points names at it. The
 * socket goes to the checked address while SNI, {@code Host} and certificate verification use the
 * URL's name.
 */
class TlsBoundaryTest {
  private static final char[] PASSWORD = "changeit".toCharArray();
  @TempDir static Path dir;
  private static HttpsServer server;
  private static ExecutorService threads;
  private static final List<String> seen = new CopyOnWriteArrayList<>();
  private static HttpTransport transport;
  private static LocalHttpServer plain;

  @BeforeAll
  static void start() throws Exception {
    KeyStore keys = certificateFor("api.test");
    KeyManagerFactory keyManagers =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, PASSWORD);
    SSLContext serverTls = SSLContext.getInstance("TLS");
    serverTls.init(keyManagers.getKeyManagers(), null, null);
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(keys);
    SSLContext clientTls = SSLContext.getInstance("TLS");
    clientTls.init(null, trust.getTrustManagers(), null);

    threads = Executors.newCachedThreadPool();
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
    server.setExecutor(threads);
    server.createContext("/", TlsBoundaryTest::handle);
    server.start();
    transport =
        HttpTransport.create(
            HttpConfig.builder().withPrivateHosts(List.of("127.0.0.1")).build(), clientTls);
    plain = LocalHttpServer.start();
  }

  @AfterAll
  static void stop() {
    server.stop(0);
    threads.shutdownNow();
    plain.close();
  }

  @BeforeEach
  void forget() {
    seen.clear();
    plain.clear();
  }

  /** A PKCS#12 key store with a self-signed certificate naming {@code name}, made by keytool. */
  private static KeyStore certificateFor(String name) throws Exception {
    Path store = dir.resolve("server.p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process process =
        new ProcessBuilder(
                keytool.toString(),
                "-genkeypair",
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                "changeit",
                "-keypass",
                "changeit",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + name,
                "-ext",
                "SAN=dns:" + name,
                "-validity",
                "2")
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, PASSWORD);
    }
    return keys;
  }

  private static void handle(HttpExchange exchange) throws IOException {
    ExtendedSSLSession session = (ExtendedSSLSession) ((HttpsExchange) exchange).getSSLSession();
    seen.add(
        "sni="
            + session.getRequestedServerNames()
            + " host="
            + exchange.getRequestHeaders().getFirst("Host")
            + " headers="
            + exchange.getRequestHeaders().keySet());
    byte[] body = "secure hello".getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(200, body.length);
    try (var out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static String url(String host, String path) {
    return "https://" + host + ":" + server.getAddress().getPort() + path;
  }

  private static OutboundHttp http(String... allowed) {
    return OutboundHttp.forAttempt(
        transport,
        List.of(allowed),
        null,
        name -> new InetAddress[] {InetAddress.getByName("127.0.0.1")});
  }

  private static JsonNode doc(HttpReply reply) {
    return CapsuleJson.readTree(new String(reply.document(), StandardCharsets.UTF_8));
  }

  private static HttpReply call(OutboundHttp http, String json) {
    return http.execute(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void httpsGoesToTheCheckedAddressWithTheNameInSniHostAndCertificateCheck() {
    HttpReply reply = call(http("api.test"), "{\"url\":\"" + url("api.test", "/hello") + "\"}");

    assertThat(doc(reply).get("body").asText()).isEqualTo("secure hello");
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0))
        .contains("type=host_name (0), value=api.test")
        .contains("host=api.test:" + server.getAddress().getPort());
  }

  @Test
  void aCertificateThatDoesNotNameTheHostIsRefused() {
    HttpReply byOtherName =
        call(http("other.test"), "{\"url\":\"" + url("other.test", "/hello") + "\"}");
    HttpReply byAddress =
        call(http("127.0.0.1"), "{\"url\":\"" + url("127.0.0.1", "/hello") + "\"}");

    assertThat(byOtherName.code()).isEqualTo(NetworkError.NETWORK_ERROR.code());
    assertThat(doc(byOtherName).at("/error/message").asText()).startsWith("TLS failure");
    assertThat(byAddress.code()).isEqualTo(NetworkError.NETWORK_ERROR.code());
    assertThat(seen).isEmpty();
  }

  @Test
  void aRedirectFromHttpToHttpsDropsTheCredentials() {
    String bounce = plain.url("/redirect?to=" + url("api.test", "/hello"));

    HttpReply reply =
        call(
            http("127.0.0.1", "api.test"),
            "{\"url\":\""
                + bounce
                + "\",\"headers\":{\"Authorization\":\"Bearer SECRET\",\"Cookie\":\"s=SECRET\","
                + "\"X-Trace\":\"kept\"}}");

    assertThat(doc(reply).get("body").asText()).isEqualTo("secure hello");
    assertThat(plain.received().get(0).authorization()).isEqualTo("Bearer SECRET");
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0))
        .contains("X-trace")
        .doesNotContain("Authorization")
        .doesNotContain("Cookie");
  }
}
