package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.sandbox.ExecutionMode;
import io.capsule.sandbox.GuestScript;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DaemonTaskArgsTest {

  @Test
  void anOptionsValueIsNeverTakenForTheTaskFile() {
    var args = DaemonTaskArgs.parse(List.of("--task", "main.py", "--ram", "64MB", "hello.js"));

    assertThat(args.file()).isEqualTo(Path.of("hello.js"));
    assertThat(args.language()).isEqualTo(GuestScript.Language.JAVASCRIPT);
    assertThat(args.mode()).isEqualTo(ExecutionMode.COMPILED);
  }

  @Test
  void theInterpreterFlagAndTheTasksOwnArgumentsAreRead() {
    var args = DaemonTaskArgs.parse(List.of("hello.py", "--interpreter", "--", "x.js", "--ram"));

    assertThat(args.file()).isEqualTo(Path.of("hello.py"));
    assertThat(args.language()).isEqualTo(GuestScript.Language.PYTHON);
    assertThat(args.mode()).isEqualTo(ExecutionMode.INTERPRETED);
  }

  @Test
  void argumentsThatDoNotParseNameNoFile() {
    var args = DaemonTaskArgs.parse(List.of("--ram"));

    assertThat(args.file()).isNull();
    assertThat(args.language()).isNull();
  }

  @Test
  void aModuleIsNoScript() {
    assertThat(DaemonTaskArgs.parse(List.of("task.wasm", "--json")).language()).isNull();
  }
}
