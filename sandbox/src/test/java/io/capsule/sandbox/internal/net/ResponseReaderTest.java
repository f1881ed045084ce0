package io.capsule.sandbox.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Hostile servers: every part of a response is bounded before it is held in memory. */
class ResponseReaderTest {
  private static final URI AT = URI.create("http://x.test/");

  private static HttpResult read(String response, int cap) throws IOException {
    return read("GET", response, cap);
  }

  private static HttpResult read(String method, String response, int cap) throws IOException {
    byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);
    return new ResponseReader(new ByteArrayInputStream(bytes), cap).read(method, AT);
  }

  @Test
  void contentLengthChunkedAndUntilClosedBodies() throws IOException {
    HttpResult fixed = read("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", 10);
    HttpResult chunked =
        read(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n",
            10);
    HttpResult closed = read("HTTP/1.0 200 OK\nX-A: 1\n\nto the end", 10);

    assertThat(new String(fixed.body(), StandardCharsets.UTF_8)).isEqualTo("abc");
    assertThat(new String(chunked.body(), StandardCharsets.UTF_8)).isEqualTo("abcde");
    assertThat(new String(closed.body(), StandardCharsets.UTF_8)).isEqualTo("to the end");
    assertThat(closed.first("x-a")).contains("1");
  }

  @Test
  void interimResponsesAreSkippedAndHeadHasNoBody() throws IOException {
    HttpResult result =
        read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX-B: 2\r\n\r\n", 10);
    HttpResult head = read("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", 10);

    assertThat(result.status()).isEqualTo(204);
    assertThat(head.body()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n",
        "HTTP/1.1 200 OK\r\n\r\n12345678901"
      })
  void aBodyOverTheCapIsRefusedBeforeItIsRead(String response) {
    assertThatThrownBy(() -> read(response, 10))
        .isInstanceOfSatisfying(
            HttpFailure.class,
            f -> assertThat(f.error()).isEqualTo(NetworkError.RESPONSE_TOO_LARGE));
  }

  @Test
  void linesHeadersAndInterimResponsesAreBounded() {
    String longLine = "HTTP/1.1 200 OK\r\nX: " + "a".repeat(9000) + "\r\n\r\n";
    String manyHeaders = "HTTP/1.1 200 OK\r\n" + "X: 1\r\n".repeat(300) + "\r\n";
    String manyInterim = "HTTP/1.1 100 Continue\r\n\r\n".repeat(20);

    for (String response : new String[] {longLine, manyHeaders, manyInterim}) {
      assertThatThrownBy(() -> read(response, 10)).isInstanceOf(ProtocolException.class);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "SSH-2.0-OpenSSH\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 101 Switching\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\n"
      })
  void malformedResponsesAreProtocolErrors(String response) {
    assertThatThrownBy(() -> read(response, 10)).isInstanceOf(ProtocolException.class);
  }

  /**
   * A body is charged to the exchange's account before each piece is read: a chunked body of many
   * small chunks that together exceed the account is refused at the chunk that does not fit, and
   * what was charged is given back when the exchange closes.
   */
  @Test
  void bodyBytesAreChargedAsTheyArriveAndGivenBackWithTheExchange() {
    var account = io.capsule.sandbox.internal.ResourceAccount.forRam(0); // 16 MiB
    String chunk = "100000\r\n" + "x".repeat(1 << 20) + "\r\n"; // 1 MiB chunks
    String response =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk.repeat(20) + "0\r\n\r\n";
    byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);

    try (var held = new HeldBytes(account)) {
      assertThatThrownBy(
              () ->
                  new ResponseReader(new ByteArrayInputStream(bytes), 32 << 20, held)
                      .read("GET", AT))
          .isInstanceOf(io.capsule.protocol.MemoryLimitException.class)
          .hasMessageContaining("an HTTP response body of 1048576 bytes");
      assertThat(account.used()).as("the chunks read so far").isEqualTo(16L << 20);
    }
    assertThat(account.used()).isZero();
  }
}
