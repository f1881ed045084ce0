package io.capsule.sandbox;

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
}
