package io.capsule.sandbox.internal.wasi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.InvalidRequestException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WasiConfigTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"", "../up", "a/../b", "a/..", "nul\0"})
  void mountRejectsGuestPathsThatCouldLeaveIt(String guestPath) {
    assertThatThrownBy(() -> Mount.readOnly(dir, guestPath))
        .isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void mountRejectsAMissingHostDirectory() {
    assertThatThrownBy(() -> Mount.readWrite(dir.resolve("missing"), "data"))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("does not exist");
  }

  @Test
  void twoMountsAtTheSameGuestPathAreRejectedWhateverTheSpelling() {
    var builder =
        WasiConfig.builder()
            .withMount(Mount.readOnly(dir, "data"))
            .withMount(Mount.readWrite(dir, "/data/"));

    assertThatThrownBy(builder::build).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void environmentNamesMustBeUsable() {
    assertThatThrownBy(() -> WasiConfig.builder().withEnvironment(Map.of("A=B", "x")))
        .isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void stdinIsCopied() {
    byte[] input = {1, 2, 3};
    var config = WasiConfig.builder().withStdin(input).build();
    input[0] = 9;

    assertThat(config.stdin()).containsExactly(1, 2, 3);
  }
}
