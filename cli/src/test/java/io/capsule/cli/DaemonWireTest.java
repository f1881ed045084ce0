package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The daemon's wire format: requests and reply frames survive the trip, garbage is refused. */
class DaemonWireTest {

  @Test
  void aTaskRequestRoundTripsWithUnicodeArgumentsAndEnvironment() throws IOException {
    var request =
        new DaemonWire.Request(
            DaemonWire.Kind.TASK,
            "run",
            List.of("hello.py", "--json", "--", "Zoë", "", "日本"),
            "/home/ada/project",
            Map.of("API_KEY", "k=1;2", "EMPTY", ""));
    var bytes = new ByteArrayOutputStream();
    DaemonWire.writeRequest(bytes, request);

    var read = DaemonWire.readRequest(new ByteArrayInputStream(bytes.toByteArray()));

    assertThat(read).isEqualTo(request);
  }

  @Test
  void replyFramesCarryOutputThenTheExitCode() throws IOException {
    var bytes = new ByteArrayOutputStream();
    byte[] out = "{\"success\":true}\n".getBytes(StandardCharsets.UTF_8);
    DaemonWire.writeFrame(bytes, DaemonWire.ACCEPTED, new byte[0], 0);
    DaemonWire.writeFrame(bytes, DaemonWire.STDOUT, out, out.length);
    DaemonWire.writeExit(bytes, 2);
    var in = new ByteArrayInputStream(bytes.toByteArray());

    assertThat(DaemonWire.readFrame(in).type()).isEqualTo(DaemonWire.ACCEPTED);
    assertThat(DaemonWire.readFrame(in).data()).isEqualTo(out);
    assertThat(DaemonWire.readFrame(in).exitCode()).isEqualTo(2);
    assertThat(DaemonWire.readFrame(in)).isNull();
  }

  @Test
  void bytesThatAreNotARequestAreRefused() {
    byte[] http = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> DaemonWire.readRequest(new ByteArrayInputStream(http)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not a capsule daemon request");
  }

  @Test
  void anotherFormatVersionIsRefused() throws IOException {
    var bytes = new ByteArrayOutputStream();
    var out = new DataOutputStream(bytes);
    out.writeInt(DaemonWire.MAGIC);
    out.writeByte(DaemonWire.VERSION + 1);
    assertThatThrownBy(() -> DaemonWire.readRequest(new ByteArrayInputStream(bytes.toByteArray())))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("request format");
  }

  @Test
  void aHugeOrNegativeLengthIsRefusedBeforeAllocating() throws IOException {
    var bytes = new ByteArrayOutputStream();
    var out = new DataOutputStream(bytes);
    out.writeInt(DaemonWire.MAGIC);
    out.writeByte(DaemonWire.VERSION);
    out.writeByte('T');
    out.writeInt(Integer.MAX_VALUE);
    assertThatThrownBy(() -> DaemonWire.readRequest(new ByteArrayInputStream(bytes.toByteArray())))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("bytes");

    var frame = new ByteArrayOutputStream();
    new DataOutputStream(frame).writeByte('O');
    new DataOutputStream(frame).writeInt(-5);
    assertThatThrownBy(() -> DaemonWire.readFrame(new ByteArrayInputStream(frame.toByteArray())))
        .isInstanceOf(IOException.class);
  }

  @Test
  void aTruncatedRequestIsAnError() throws IOException {
    var bytes = new ByteArrayOutputStream();
    DaemonWire.writeRequest(
        bytes,
        new DaemonWire.Request(DaemonWire.Kind.TASK, "run", List.of("a.wasm"), "/", Map.of()));
    byte[] cut = java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() - 3);
    assertThatThrownBy(() -> DaemonWire.readRequest(new ByteArrayInputStream(cut)))
        .isInstanceOf(IOException.class);
  }

  @Test
  void theFingerprintChangesWhenAClassPathEntryChanges() throws IOException {
    var dir = java.nio.file.Files.createTempDirectory("fp");
    var jar = java.nio.file.Files.writeString(dir.resolve("a.jar"), "one");
    String before = DaemonPaths.fingerprint(jar.toString());
    assertThat(DaemonPaths.fingerprint(jar.toString())).isEqualTo(before);
    java.nio.file.Files.writeString(jar, "one plus");
    assertThat(DaemonPaths.fingerprint(jar.toString())).isNotEqualTo(before);
  }
}
