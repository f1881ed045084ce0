package io.capsule.dispatcher.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerTokensTest {
  @Test
  void allowsOnlyTheListedTokensAsBearerHeaders() {
    BearerTokens tokens = BearerTokens.parse("alpha, beta");
    assertThat(tokens.allows("Bearer alpha")).isTrue();
    assertThat(tokens.allows("bearer beta")).isTrue();
    assertThat(tokens.allows("Bearer gamma")).isFalse();
    assertThat(tokens.allows("Basic alpha")).isFalse();
    assertThat(tokens.allows(null)).isFalse();
  }

  @Test
  void readsOneTokenALineAndSkipsComments(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), "# ops\nfirst\n\nsecond\n");
    BearerTokens tokens = BearerTokens.read(file);
    assertThat(tokens.allows("Bearer second")).isTrue();
    assertThat(tokens.allows("Bearer # ops")).isFalse();
  }

  @Test
  void rejectsATextWithoutTokensAndOpenAllowsEveryone() {
    assertThatThrownBy(() -> BearerTokens.parse(" , ")).hasMessageContaining("no bearer token");
    assertThat(BearerTokens.open().allows(null)).isTrue();
    assertThat(BearerTokens.randomToken()).matches("[0-9a-f]{32}");
  }
}
