package io.capsule.sandbox.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.sandbox.HttpConfig;
import io.capsule.sandbox.testing.LocalHttpServer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WildcardLoopbackTest {
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
  void starNeverReachesLoopback(String host) {
    try (LocalHttpServer server = LocalHttpServer.start()) {
      String url = server.url("/hello").replace("127.0.0.1", host);
      OutboundHttp http =
          OutboundHttp.forAttempt(HttpTransport.create(HttpConfig.defaults()), List.of("*"), null);
      HttpReply reply =
          http.execute(("{\"url\":\"" + url + "\"}").getBytes(StandardCharsets.UTF_8));
      assertThat(server.received()).isEmpty();
      assertThat(reply.code()).isEqualTo(NetworkError.HOST_DENIED.code());
    }
  }
}
