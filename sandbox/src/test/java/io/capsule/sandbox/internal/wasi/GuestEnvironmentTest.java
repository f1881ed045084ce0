package io.capsule.sandbox.internal.wasi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestEnvironmentTest {

  @Test
  void keepsOnlyAllowlistedNamesThatAreDefined() {
    var source = Map.of("A", "1", "B", "2", "SECRET", "s");

    assertThat(GuestEnvironment.select(List.of("B", "A", "MISSING"), source))
        .containsExactly(entry("B", "2"), entry("A", "1"));
  }

  @Test
  void anEmptyAllowlistShowsNothing() {
    assertThat(GuestEnvironment.select(List.of(), Map.of("A", "1"))).isEmpty();
  }

  @Test
  void dotEnvAddsVariablesButTheHostEnvironmentWins(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve(".env"), "FROM_FILE=file\nBOTH=file\nUNLISTED=file\n");
    var host = Map.of("BOTH", "host", "HOST_ONLY", "host");

    var visible = GuestEnvironment.forTask(List.of("FROM_FILE", "BOTH", "HOST_ONLY"), host, dir);

    assertThat(visible)
        .containsExactly(
            entry("FROM_FILE", "file"), entry("BOTH", "host"), entry("HOST_ONLY", "host"));
  }

  @Test
  void aMissingDotEnvIsNoError(@TempDir Path dir) throws IOException {
    assertThat(GuestEnvironment.forTask(List.of("A"), Map.of("A", "1"), dir))
        .containsExactly(entry("A", "1"));
  }
}
