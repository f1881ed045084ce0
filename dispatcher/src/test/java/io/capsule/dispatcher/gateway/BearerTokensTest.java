package io.capsule.dispatcher.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerTokensTest {
  private static final String ALPHA = "alpha-0123456789abcdef";
  private static final String BETA = "beta-0123456789abcdef";

  @Test
  void acceptsOnlyTheListedTokens() {
    BearerTokens tokens =
        BearerTokens.fromEnvironment(Map.of(BearerTokens.ENV, ALPHA + ", " + BETA));
    assertThat(tokens.accepts(ALPHA)).isTrue();
    assertThat(tokens.accepts(BETA)).isTrue();
    assertThat(tokens.accepts("gamma-0123456789abcdef")).isFalse();
    assertThat(tokens.accepts(ALPHA + "x")).isFalse();
    assertThat(tokens.accepts(null)).isFalse();
  }

  @Test
  void readsOneTokenALineAndSkipsCommentsAndBlanks(@TempDir Path dir) throws Exception {
    Path file =
        Files.writeString(dir.resolve("tokens"), "# ops team\n" + ALPHA + "\n\n  " + BETA + "  \n");
    BearerTokens tokens = BearerTokens.fromFile(file);
    assertThat(tokens.accepts(BETA)).isTrue();
    assertThat(tokens.accepts("# ops team")).isFalse();
  }

  @Test
  void refusesShortTokensAndTokensWithSpaces() {
    assertThatThrownBy(() -> BearerTokens.of(Set.of("short"))).hasMessageContaining("16");
    assertThatThrownBy(() -> BearerTokens.of(Set.of("has a space in it 1234")))
        .hasMessageContaining("no spaces");
  }

  @Test
  void unsetEnvironmentGivesNoTokensAndGeneratedOnesAreLongAndDistinct() {
    assertThat(BearerTokens.fromEnvironment(Map.of()).isEmpty()).isTrue();
    String one = BearerTokens.generate().any();
    assertThat(one).matches("[A-Za-z0-9_-]{43}").isNotEqualTo(BearerTokens.generate().any());
  }

  @Test
  void configNeedsTokensOrAnExplicitOpenGateway() {
    assertThatThrownBy(() -> GatewayConfig.builder().build()).hasMessageContaining("--no-auth");
    assertThat(GatewayConfig.builder().withoutAuth().build().authRequired()).isFalse();
    assertThat(GatewayConfig.builder().withTokens(BearerTokens.generate()).build().authRequired())
        .isTrue();
  }

  @Test
  void neverPrintsTheSecrets() {
    assertThat(BearerTokens.of(Set.of(ALPHA)).toString()).doesNotContain(ALPHA);
  }
}
