package io.capsule.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The language benchmark in its quick form, so it cannot rot. No figure is asserted. */
class LangBenchIT {

  @Test
  void quickRunPrintsEveryFigureAndTheSummaryLinesLast() throws Exception {
    var bytes = new ByteArrayOutputStream();
    var out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    new LangBench(true, out, null).run();
    var lines = bytes.toString(StandardCharsets.UTF_8).strip().lines().toList();
    assertThat(lines).anyMatch(l -> l.startsWith("| hello.js, first task of a new sandbox"));
    assertThat(lines).anyMatch(l -> l.matches("\\| hello\\.js, warm .*median [\\d.]+ ms.*"));
    assertThat(lines).anyMatch(l -> l.startsWith("| hello.py, first task of a new sandbox"));
    assertThat(lines.get(lines.size() - 2)).matches("lang_js_ms=\\d+\\.\\d");
    assertThat(lines.get(lines.size() - 1)).matches("lang_py_ms=\\d+\\.\\d");
    assertThat(Double.parseDouble(lines.get(lines.size() - 2).split("=")[1])).isPositive();
  }
}
