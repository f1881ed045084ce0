package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.InvalidRequestException;
import org.junit.jupiter.api.Test;

class GuestScriptTest {
  @Test
  void aDeclaredOptionThatCannotBeUsedIsNamedWithItsFile() {
    String source =
        "from capsule import task\n@task(name=\"main\", ram=\"lots\")\ndef main():\n  return 1\n";

    assertThatThrownBy(() -> GuestScript.of("agent.py", source))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageStartingWith("agent.py: task options: ram: size 'lots' is not understood");
  }

  @Test
  void aJavaScriptTaskNamesTheOptionInItsOwnSpelling() {
    String source = "export const main = task({ name: \"main\", maxRetries: -1 }, () => 1);\n";

    assertThatThrownBy(() -> GuestScript.of("agent.js", source))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageStartingWith("agent.js: task options: max_retries: must be between 0 and 100");
  }

  private static final String TWO_TASKS =
      "from capsule import task\n\n@task(name=\"fetch\")\ndef fetch():\n  return 1\n\n"
          + "@task(name=\"analyze\", compute=\"LOW\")\ndef analyze():\n  return 2\n";

  @Test
  void aFileWhoseOnlyTaskIsNotMainRunsItWhenMainIsAskedFor() {
    String source =
        "from capsule import task\n@task(name=\"analyze_data\", compute=\"LOW\")\n"
            + "def analyze_data(d):\n  return d\n";
    GuestScript script = GuestScript.of("analyze.py", source);

    assertThat(script.entryTask(null)).isEqualTo("analyze_data");
    assertThat(script.entryTask("main")).isEqualTo("analyze_data");
    assertThat(script.optionsOf(script.entryTask(null)).computeOrDefault().fuel())
        .isEqualTo(100_000_000L);
  }

  @Test
  void severalTasksAndNoMainAreRefusedNamingThemUnlessOneIsNamed() {
    GuestScript script = GuestScript.of("two.py", TWO_TASKS);

    assertThatThrownBy(() -> script.entryTask(null))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("two.py declares no task named 'main' and several tasks")
        .hasMessageContaining("(analyze, fetch)");
    assertThat(script.entryTask("fetch")).isEqualTo("fetch");
  }

  @Test
  void anUndecoratedPythonMainStaysTheEntryBesideOtherTasks() {
    String source = TWO_TASKS + "\nasync def main():\n  return await fetch()\n";

    assertThat(GuestScript.of("old.py", source).entryTask(null)).isEqualTo("main");
  }

  @Test
  void aDeclaredMainIsTheEntryAndAFileWithNoTaskLeavesMain() {
    String js =
        "export const a = task({ name: \"a\" }, () => 1);\n"
            + "export const main = task({ name: \"main\" }, () => a());\n";

    assertThat(GuestScript.of("agent.js", js).entryTask(null)).isEqualTo("main");
    assertThat(GuestScript.of("plain.js", "globalThis.x = 1;\n").entryTask(null)).isEqualTo("main");
  }
}
