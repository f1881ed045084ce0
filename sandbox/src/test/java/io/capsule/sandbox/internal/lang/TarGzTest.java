package io.capsule.sandbox.internal.lang;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.InternalException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TarGzTest {
  private static final String NAME = "package/dist/python.wasm";
  private static final byte[] BODY = "the interpreter".getBytes(StandardCharsets.UTF_8);

  @Test
  void readsTheNamedRegularFileAndSkipsTheRest() throws Exception {
    byte[] tgz =
        new Tarballs()
            .file("package/package.json", "{}".getBytes(StandardCharsets.UTF_8))
            .file(NAME, BODY)
            .file("package/README.md", new byte[700])
            .gzip();

    assertThat(TarGz.entry(tgz, NAME)).isEqualTo(BODY);
  }

  @Test
  void entriesThatClimbOutOfThePackageAreNeverTakenForTheFileAsked() throws Exception {
    byte[] tgz =
        new Tarballs()
            .file("package/../package/dist/python.wasm", "evil 1".getBytes(StandardCharsets.UTF_8))
            .file("/package/dist/python.wasm", "evil 2".getBytes(StandardCharsets.UTF_8))
            .file("../../../../tmp/package/dist/python.wasm", new byte[3])
            .file(NAME, BODY)
            .gzip();

    assertThat(TarGz.entry(tgz, NAME)).isEqualTo(BODY);
  }

  @Test
  void theFileAskedAsALinkIsRefused() {
    byte[] tgz = new Tarballs().entry(NAME, '2', Tarballs.octal(0), new byte[0]).gzip();

    assertThatThrownBy(() -> TarGz.entry(tgz, NAME))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("not a regular file");
  }

  @Test
  void theFileAskedTwiceIsRefusedRatherThanOneCopyChosen() {
    byte[] tgz =
        new Tarballs().file(NAME, BODY).file(NAME, "other".getBytes(StandardCharsets.UTF_8)).gzip();

    assertThatThrownBy(() -> TarGz.entry(tgz, NAME))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("appears twice");
  }

  @Test
  void aSizeFieldOfGigabytesIsRefusedBeforeAnythingIsAllocated() {
    byte[] tgz = new Tarballs().entry(NAME, '0', "77777777777", BODY).gzip();

    assertThatThrownBy(() -> TarGz.entry(tgz, NAME))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("over " + TarGz.MAX_ENTRY_BYTES);
  }

  @Test
  void aSizeFieldThatIsNotOctalIsRefused() {
    byte[] tgz = new Tarballs().entry(NAME, '0', "-0000000012", BODY).gzip();

    assertThatThrownBy(() -> TarGz.entry(tgz, NAME))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("not octal");
  }

  @Test
  void aGzipBombIsRefusedOnceItInflatesPastTheBound() {
    long bound = 8L << 20;
    var bomb = new Tarballs();
    for (int i = 0; i < 3; i++) {
      bomb.zeros("package/zeros-" + i, 4 << 20); // 4 MiB of zeros: a few KB compressed
    }
    byte[] tgz = bomb.file(NAME, BODY).gzip();
    assertThat(tgz.length).isLessThan(100_000);

    assertThatThrownBy(() -> TarGz.entry(tgz, NAME, bound))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("inflates past " + bound);
  }

  @Test
  void aTruncatedArchiveIsRefused() {
    byte[] tgz = new Tarballs().file(NAME, new byte[100_000]).gzip();
    byte[] cut = Arrays.copyOf(tgz, tgz.length / 2);

    assertThatThrownBy(() -> TarGz.entry(cut, NAME)).isInstanceOf(InternalException.class);
  }

  @Test
  void anArchiveWithoutTheFileSaysSo() {
    byte[] tgz = new Tarballs().file("package/other", BODY).gzip();

    assertThatThrownBy(() -> TarGz.entry(tgz, NAME))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("has no " + NAME);
  }
}
