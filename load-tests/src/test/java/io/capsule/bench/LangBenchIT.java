package io.capsule.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The language benchmark in its quick form, so it cannot rot. No figure is asserted. */
class LangBenchIT {

  /**
   * The quick form runs Python from the cache a CLI would use. In the build that is the shared test
   * cache the sandbox's tests filled, so a fresh machine prepares CPython's snapshot once, not
   * twice (minutes each).
   */
  @Test
  void quickRunPrintsEveryFigureAndTheSummaryLinesLast() throws Exception {
    var text = new StringWriter();
    String moduleCache = System.getProperty("capsule.cache.dir");
    String shared = System.getProperty("capsule.test.shared.cache");
    if (shared != null) {
      System.setProperty("capsule.cache.dir", shared);
    }
    try {
      new LangBench(true, new PrintWriter(text, true), null).run();
    } finally {
      if (moduleCache != null) {
        System.setProperty("capsule.cache.dir", moduleCache);
      }
    }
    var lines = text.toString().strip().lines().toList();
    assertThat(lines).anyMatch(l -> l.startsWith("| hello.js, first task of a new sandbox"));
    assertThat(lines).anyMatch(l -> l.matches("\\| hello\\.js, warm .*median [\\d.]+ ms.*"));
    assertThat(lines).anyMatch(l -> l.startsWith("| hello.py, first task of a new sandbox"));
    assertThat(lines).anyMatch(l -> l.matches("\\| loop\\.py .*first task.*fuel [\\d,]+\\) \\|"));
    assertThat(lines).anyMatch(l -> l.startsWith("| loop.js "));
    assertThat(lines).anyMatch(l -> l.startsWith("| mix: json.py, first task"));
    assertThat(lines).anyMatch(l -> l.startsWith("| mix: sort.js, first task"));
    assertThat(lines)
        .anyMatch(
            l ->
                l.matches("\\| the same code in this machine's node v.* ms: .*× as long \\|")
                    || l.equals("| the same code in node | no `node` on the PATH |"));
    assertThat(lines)
        .anyMatch(
            l ->
                l.matches(
                        "\\| the same code in this machine's native CPython .* ms: .*× as long \\|")
                    || l.equals("| the same code in native CPython | no `python3` on the PATH |"));
    assertThat(lines)
        .anyMatch(
            l -> l.matches("\\| loop\\.py's loop timed inside one task .*\\| [\\d.]+ ms \\|"));
    int n = lines.size();
    assertThat(lines.get(n - 8)).matches("lang_js_ms=\\d+\\.\\d");
    assertThat(lines.get(n - 7)).matches("lang_py_ms=\\d+\\.\\d");
    assertThat(Double.parseDouble(lines.get(n - 8).split("=")[1])).isPositive();
    assertThat(lines.get(n - 6)).matches("py_loop_in_task_ratio=(\\d+\\.\\d|unknown)");
    assertThat(lines.get(n - 5)).matches("py_loop_ratio=(\\d+\\.\\d|unknown)");
    assertThat(lines.get(n - 4)).matches("py_mix_ratio=(\\d+\\.\\d|unknown)");
    assertThat(lines.get(n - 3)).matches("js_loop_ratio=(\\d+\\.\\d|unknown)");
    assertThat(lines.get(n - 2)).matches("js_mix_ratio=(\\d+\\.\\d|unknown)");
    assertThat(lines.get(n - 1)).isEqualTo("interpreted_functions=0");
  }
}
