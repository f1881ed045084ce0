package io.capsule.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Temp directories left by a killed owner are reaped; live owners' and unmarked ones are not. */
class DirectoriesTest {
  private static final String PREFIX = "capsule-reap-test-";

  @Test
  void reapsOnlyDirectoriesWhoseOwnerProcessIsGone() throws Exception {
    Path dead = Directories.createTemp(PREFIX);
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Files.writeString(dead.resolve(Directories.OWNER_FILE), gone.pid() + " 1");
    Files.createDirectories(dead.resolve("data/topic-0"));
    Path live = Directories.createOwnedTemp(PREFIX);
    Path unmarked = Directories.createTemp(PREFIX);
    try {
      int reaped = Directories.reapAbandoned(PREFIX);

      assertThat(dead).doesNotExist();
      assertThat(reaped).isGreaterThanOrEqualTo(1);
      assertThat(live).exists();
      assertThat(unmarked).exists();
    } finally {
      Directories.deleteRecursively(live);
      Directories.deleteRecursively(unmarked);
      Directories.deleteRecursively(dead);
    }
  }

  @Test
  void aReusedPidWithAnotherStartTimeIsNotTheOwner() throws Exception {
    Path reused = Directories.createTemp(PREFIX);
    try {
      Files.writeString(
          reused.resolve(Directories.OWNER_FILE), ProcessHandle.current().pid() + " 7");
      assertThat(Directories.ownerGone(reused)).isTrue();
    } finally {
      Directories.deleteRecursively(reused);
    }
  }
}
