package io.capsule.sandbox.internal.wasi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DotEnvTest {

  @Test
  void readsPlainAssignmentsSkippingCommentsAndBlankLines() {
    var values = DotEnv.parse("# a comment\n\nA=1\n  B = two words  \r\nC=\n");

    assertThat(values).containsExactly(entry("A", "1"), entry("B", "two words"), entry("C", ""));
  }

  @Test
  void ignoresTheExportPrefix() {
    assertThat(DotEnv.parse("export TOKEN=abc\nexport\tOTHER=x\n"))
        .containsExactly(entry("TOKEN", "abc"), entry("OTHER", "x"));
  }

  @Test
  void endsUnquotedValuesAtAnInlineComment() {
    assertThat(DotEnv.parse("URL=http://x/#frag # the url\nEMPTY= # nothing\n"))
        .containsExactly(entry("URL", "http://x/#frag"), entry("EMPTY", ""));
  }

  @Test
  void doubleQuotesUnderstandEscapesAndSpanLines() {
    var values = DotEnv.parse("A=\"line1\\nline2 \\\"q\\\" # kept\"\nB=\"multi\nline\"\nC=\"\\d\"");

    assertThat(values)
        .containsExactly(
            entry("A", "line1\nline2 \"q\" # kept"), entry("B", "multi\nline"), entry("C", "\\d"));
  }

  @Test
  void singleQuotesAreLiteral() {
    assertThat(DotEnv.parse("A='no \\n escape # here'  # comment\n"))
        .containsExactly(entry("A", "no \\n escape # here"));
  }

  @Test
  void skipsMalformedLinesAndLetsALaterAssignmentWin() {
    var values = DotEnv.parse("not an assignment\n1BAD=x\nA=1\nA=2\nB=\"unterminated\n");

    assertThat(values).containsExactly(entry("A", "2"));
  }

  @Test
  void doesNotExpandVariables() {
    assertThat(DotEnv.parse("A=${HOME}/x")).containsExactly(entry("A", "${HOME}/x"));
  }

  @Test
  void loadsTheFileOfADirectoryOrNothing(@TempDir Path dir) throws IOException {
    assertThat(DotEnv.load(dir)).isEmpty();

    Files.writeString(dir.resolve(".env"), "KEY=value\n");

    assertThat(DotEnv.load(dir)).containsExactly(entry("KEY", "value"));
  }
}
