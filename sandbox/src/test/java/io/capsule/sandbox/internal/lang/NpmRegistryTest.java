package io.capsule.sandbox.internal.lang;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.capsule.protocol.InternalException;
import io.capsule.protocol.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NpmRegistryTest {
  private static final byte[] TARBALL =
      new Tarballs().file("package/quickjs.wasm", new byte[] {0, 'a', 's', 'm'}).gzip();
  private static final String SHA = Sha256.hex(TARBALL);

  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private final PrintStream progress = new PrintStream(log, true, StandardCharsets.UTF_8);
  private final List<URI> requested = new CopyOnWriteArrayList<>();
  private HttpServer server;

  @BeforeEach
  void serve() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  /** {@code /endless/…}: an unbounded chunked body; anything else: {@link #TARBALL}. */
  private void handle(HttpExchange exchange) throws IOException {
    requested.add(exchange.getRequestURI());
    try (exchange;
        OutputStream out = exchange.getResponseBody()) {
      if (exchange.getRequestURI().getPath().startsWith("/endless/")) {
        exchange.sendResponseHeaders(200, 0);
        byte[] chunk = new byte[1 << 16];
        for (long sent = 0; sent <= NpmRegistry.MAX_TARBALL_BYTES; sent += chunk.length) {
          out.write(chunk);
        }
      } else {
        exchange.sendResponseHeaders(200, TARBALL.length);
        out.write(TARBALL);
      }
    } catch (IOException e) {
      // the client hung up, as it should for an endless body
    }
  }

  private URI local(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private NpmRegistry registry(URI base, Map<String, String> environment) {
    return new NpmRegistry(base, environment, progress);
  }

  @Test
  void aTarballIsDownloadedByTheJvmFromTheRegistrysTarballAddress() {
    byte[] got = registry(local(""), Map.of()).fetchVerified("@scope/python-wasi@3.12.0", SHA);

    assertThat(got).isEqualTo(TARBALL);
    assertThat(requested)
        .extracting(URI::getPath)
        .containsExactly("/@scope/python-wasi/-/python-wasi-3.12.0.tgz");
    assertThat(log.toString(StandardCharsets.UTF_8))
        .contains("downloading @scope/python-wasi@3.12.0")
        .contains("verified (sha256 " + SHA.substring(0, 12));
  }

  @Test
  void tarballAddressesFollowTheRegistryLayout() {
    URI npm = URI.create(NpmRegistry.DEFAULT_REGISTRY);
    assertThat(NpmRegistry.tarballUri(npm, "quickjs-wasi@3.6.2"))
        .hasToString("https://registry.npmjs.org/quickjs-wasi/-/quickjs-wasi-3.6.2.tgz");
    assertThat(NpmRegistry.tarballUri(URI.create("https://mirror.example/npm/"), "@a/b@1.0.0"))
        .hasToString("https://mirror.example/npm/@a/b/-/b-1.0.0.tgz");
  }

  @Test
  void aTarballThatDoesNotMatchItsPinnedChecksumIsRefused() {
    String pinned = "0".repeat(64);

    assertThatThrownBy(
            () -> registry(local(""), Map.of()).fetchVerified("quickjs-wasi@3.6.2", pinned))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("has SHA-256 " + SHA)
        .hasMessageContaining("expected " + pinned);
  }

  @Test
  void offlineIsATypedErrorThatSaysWhatToDo() throws IOException {
    int closed;
    try (var socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    var offline = registry(URI.create("http://127.0.0.1:" + closed), Map.of());

    assertThatThrownBy(() -> offline.fetchVerified("quickjs-wasi@3.6.2", SHA))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("cannot download quickjs-wasi@3.6.2")
        .hasMessageContaining("check the network")
        .hasMessageContaining("HTTPS_PROXY");
  }

  @Test
  void aBodyLargerThanTheBoundIsCutOffAndRefused() {
    var endless = registry(local("/endless"), Map.of());

    assertThatThrownBy(() -> endless.fetchVerified("quickjs-wasi@3.6.2", SHA))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("over the limit of " + NpmRegistry.MAX_TARBALL_BYTES);
  }

  @Test
  void theProxyFromTheEnvironmentIsUsedForAHostThatDoesNotEvenResolve() {
    String proxy = "http://127.0.0.1:" + server.getAddress().getPort();
    var viaProxy = registry(URI.create("http://registry.invalid"), Map.of("HTTP_PROXY", proxy));

    assertThat(viaProxy.fetchVerified("quickjs-wasi@3.6.2", SHA)).isEqualTo(TARBALL);
    assertThat(requested).extracting(URI::getHost).containsExactly("registry.invalid");
  }

  @Test
  void proxyVariablesAreReadAsCurlReadsThem() {
    URI npm = URI.create("https://registry.npmjs.org/x");

    assertThat(NpmRegistry.proxyFor(npm, Map.of())).isEqualTo(Proxy.NO_PROXY);
    assertThat(NpmRegistry.proxyFor(npm, Map.of("HTTPS_PROXY", "proxy.corp:3128")).address())
        .isEqualTo(new InetSocketAddress("proxy.corp", 3128));
    assertThat(
            NpmRegistry.proxyFor(
                    npm, Map.of("https_proxy", "http://low:1", "HTTPS_PROXY", "http://up:2"))
                .address())
        .isEqualTo(new InetSocketAddress("low", 1));
    assertThat(NpmRegistry.proxyFor(npm, Map.of("HTTP_PROXY", "http://plain:8080")))
        .isEqualTo(Proxy.NO_PROXY);
    for (String noProxy : List.of("npmjs.org", ".npmjs.org", "other, registry.npmjs.org", "*")) {
      assertThat(
              NpmRegistry.proxyFor(npm, Map.of("HTTPS_PROXY", "http://p:1", "NO_PROXY", noProxy)))
          .as(noProxy)
          .isEqualTo(Proxy.NO_PROXY);
    }
    assertThat(
            NpmRegistry.proxyFor(
                npm, Map.of("HTTPS_PROXY", "http://p:1", "no_proxy", "pmjs.org,example.com")))
        .isNotEqualTo(Proxy.NO_PROXY);
  }

  @Test
  void aRegistryThatIsNotAnHttpAddressIsATypedError() {
    for (String base : List.of("file:///etc", "ftp://registry.example", "registry.example")) {
      assertThatThrownBy(() -> registry(URI.create(base), Map.of()))
          .as(base)
          .isInstanceOf(InternalException.class)
          .hasMessageContaining("must be an https://");
    }
  }

  @Test
  void aProxyVariableThatIsNotAnAddressIsATypedError() {
    URI npm = URI.create("https://registry.npmjs.org/x");

    assertThatThrownBy(() -> NpmRegistry.proxyFor(npm, Map.of("HTTPS_PROXY", "http://")))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("HTTPS_PROXY");
  }
}
