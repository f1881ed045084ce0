package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TerminalTextTest {

  @Test
  void escapeSequencesFromATaskReachTheTerminalAsText() {
    String osc52 = "\u001b]52;c;ZWNobyBwd25lZA==\u0007";
    String clearLine = "\r\u001b[2K";

    assertThat(TerminalText.safe("ok " + osc52 + clearLine + "\u009b31m"))
        .isEqualTo("ok \\x1b]52;c;ZWNobyBwd25lZA==\\x07\\x0d\\x1b[2K\\x9b31m")
        .doesNotContain("\u001b", "\u0007", "\r", "\u009b");
  }

  @Test
  void plainTextTabsAndUnicodeAreUnchanged() {
    String line = "total\t42 — naïve ✓";
    assertThat(TerminalText.safe(line)).isSameAs(line);
  }
}
