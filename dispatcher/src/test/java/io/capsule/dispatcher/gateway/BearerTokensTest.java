package io.capsule.dispatcher.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BearerTokensTest {
  private static final String ALPHA = "alpha-0123456789abcdef";
  private static final String BETA = "beta-0123456789abcdef";
  private static final String GAMMA = "gamma-0123456789abcdef";

  @Test
  void acceptsOnlyTheListedTokens() {
    BearerTokens tokens =
        BearerTokens.fromEnvironment(Map.of(BearerTokens.ENV, ALPHA + ", " + BETA));
    assertThat(tokens.accepts(ALPHA)).isTrue();
    assertThat(tokens.accepts(BETA)).isTrue();
    assertThat(tokens.accepts(GAMMA)).isFalse();
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
    assertThat(BearerTokens.of(Set.of("admin:" + ALPHA)).toString())
        .doesNotContain(ALPHA)
        .contains("ADMIN=1");
  }

  @Test
  void scopePrefixesGiveScopesAndABareTokenIsASubmitToken() {
    BearerTokens tokens =
        BearerTokens.fromEnvironment(
            Map.of(BearerTokens.ENV, "admin:" + ALPHA + " , read:" + BETA + ",," + GAMMA));
    assertThat(tokens.scopeOf(ALPHA)).contains(TokenScope.ADMIN);
    assertThat(tokens.scopeOf(BETA)).contains(TokenScope.READ);
    assertThat(tokens.scopeOf(GAMMA)).contains(TokenScope.SUBMIT);
    assertThat(tokens.scopeOf("admin:" + ALPHA)).isEmpty();
    assertThat(tokens.scopeOf("submit:" + GAMMA)).isEmpty();
    assertThat(tokens.scopeOf(null)).isEmpty();
  }

  @Test
  void aTokenMayContainAColonAfterItsScope() {
    assertThat(BearerTokens.of(Set.of("submit:" + ALPHA + ":x")).scopeOf(ALPHA + ":x"))
        .contains(TokenScope.SUBMIT);
  }

  @Test
  void scopesIncludeTheLesserOnes() {
    assertThat(TokenScope.ADMIN.covers(TokenScope.SUBMIT)).isTrue();
    assertThat(TokenScope.ADMIN.covers(TokenScope.READ)).isTrue();
    assertThat(TokenScope.SUBMIT.covers(TokenScope.READ)).isTrue();
    assertThat(TokenScope.SUBMIT.covers(TokenScope.ADMIN)).isFalse();
    assertThat(TokenScope.READ.covers(TokenScope.SUBMIT)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        ":alpha-0123456789abcdef", // empty scope
        "root:alpha-0123456789abcdef", // unknown scope
        "ADMIN:alpha-0123456789abcdef", // scopes are lower case
        "admin :alpha-0123456789abcdef", // space before the colon
        " admin:alpha-0123456789abcdef:", // legacy-looking token with a colon: scope ' admin'
        "https://alpha-0123456789abcdef", // a bare token containing a colon fails loudly
      })
  void entriesWhoseScopeIsNotOneOfTheThreeAreRefusedWithoutEchoingThem(String entry) {
    assertThatThrownBy(() -> BearerTokens.of(Set.of(entry)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("token entry 1")
        .hasMessageContaining("read, submit, admin")
        .hasMessageNotContaining("0123456789abcdef");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "admin:", // empty token
        "admin:short", // short token
        "admin: alpha-0123456789abcdef", // space after the colon
        "read:alpha-01234\t56789abcdef", // a tab inside
        "submit:\u00a0alpha-0123456789abcdef", // a no-break space (not Java white space)
        "submit:alpha-0123456789abcdef\u0000", // a control character
        "submit:alpha-0123456789abcd\u00e9f", // not ASCII
      })
  void shortOrSpacedTokensAfterAScopeAreRefused(String entry) {
    assertThatThrownBy(() -> BearerTokens.of(Set.of(entry)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 16 characters")
        .hasMessageContaining("no spaces")
        .hasMessageNotContaining("0123456789abcdef");
  }

  @Test
  void environmentAndFileErrorsNameTheEntryOrLine(@TempDir Path dir) throws Exception {
    assertThatThrownBy(
            () -> BearerTokens.fromEnvironment(Map.of(BearerTokens.ENV, ALPHA + ",owner:" + BETA)))
        .hasMessageStartingWith(BearerTokens.ENV + " entry 2:");
    Path file = Files.writeString(dir.resolve("tokens"), "# ops\nadmin:" + ALPHA + "\nsuper:x\n");
    assertThatThrownBy(() -> BearerTokens.fromFile(file))
        .hasMessageContaining("line 3:")
        .hasMessageNotContaining("super");
  }

  @Test
  void oneTokenListedWithTwoScopesIsRefused() {
    assertThatThrownBy(
            () ->
                BearerTokens.fromEnvironment(
                    Map.of(BearerTokens.ENV, "read:" + ALPHA + ",admin:" + ALPHA)))
        .hasMessageContaining("listed as read and admin")
        .hasMessageNotContaining(ALPHA);
    assertThatThrownBy(
            () ->
                BearerTokens.of(Set.of("read:" + ALPHA))
                    .and(BearerTokens.of(TokenScope.ADMIN, ALPHA)))
        .hasMessageContaining("listed as read and admin");
    assertThat(BearerTokens.of(Set.of(ALPHA)).and(BearerTokens.of(Set.of("submit:" + ALPHA))))
        .satisfies(t -> assertThat(t.scopeOf(ALPHA)).contains(TokenScope.SUBMIT));
  }

  @Test
  void generatedTokensAreAdminTokensForTheOperator() {
    BearerTokens generated = BearerTokens.generate();
    assertThat(generated.scopeOf(generated.any())).contains(TokenScope.ADMIN);
  }
}
