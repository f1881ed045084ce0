package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The {@code ./capsule} launcher and the JVMs the CLI starts itself must agree on their flags: a
 * daemon started by hand ({@code capsule daemon run}) gets the same heap flags as one {@code
 * capsule run} starts.
 */
class LauncherFlagsTest {
  private static final Path LAUNCHER = Path.of("..", "capsule");

  @Test
  void aDaemonStartedByHandGetsTheDaemonsHeapFlags() throws Exception {
    String launcher = Files.readString(LAUNCHER);
    String daemonLine =
        launcher
            .lines()
            .filter(l -> l.strip().startsWith("daemon_flags=(-"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no daemon_flags in " + LAUNCHER));
    assertThat(daemonLine).contains(String.join(" ", DaemonMemory.JVM_FLAGS));
    assertThat(launcher).contains("\"${1:-}\" == daemon && \"${2:-}\" == run");
  }

  @Test
  void theLaunchersOwnFlagsAreTheOnesTheCliPassesOn() throws Exception {
    String launcher = Files.readString(LAUNCHER);
    for (String flag : DaemonClient.JVM_FLAGS) {
      assertThat(launcher).as(flag).contains(flag);
    }
  }
}
