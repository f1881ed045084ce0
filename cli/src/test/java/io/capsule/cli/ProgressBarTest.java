package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  @Test
  void rendersFilledShareCountAndPercent() {
    ProgressBar bar = new ProgressBar(new PrintWriter(new StringWriter()), "replaying", 4, false);
    bar.update(1);
    assertThat(bar.render()).isEqualTo("replaying [#######-----------------------] 1/4 25%");
  }

  @Test
  void withoutTerminalPrintsOneLinePerTenthAndTheEnd() {
    StringWriter text = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(text), "submitting", 100, false);
    for (int i = 0; i < 100; i++) {
      bar.step();
    }
    bar.finish();
    String[] lines = text.toString().split(System.lineSeparator());
    assertThat(lines).hasSize(11);
    assertThat(lines[10]).endsWith("100/100 100%");
    assertThat(text.toString()).doesNotContain("\r");
  }

  @Test
  void onTerminalRedrawsInPlaceAndEndsTheLineOnce() {
    StringWriter text = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(text), "waiting", 2, true);
    bar.step();
    bar.step();
    bar.finish();
    bar.step();
    assertThat(text.toString())
        .startsWith("\rwaiting [")
        .endsWith("2/2 100%" + System.lineSeparator());
  }
}
