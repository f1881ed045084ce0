package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonPathsTest {
  @TempDir Path daemons;

  private Path daemonDir(String name, Duration age, String... files) throws IOException {
    Path dir = Files.createDirectories(daemons.resolve(name));
    FileTime time = FileTime.from(Instant.now().minus(age));
    for (String f : files) {
      Files.writeString(dir.resolve(f), "x");
      Files.setLastModifiedTime(dir.resolve(f), time);
    }
    Files.setLastModifiedTime(dir, time);
    return dir;
  }

  @Test
  void oldDirectoriesOfStoppedDaemonsOfOtherBuildsGo() throws IOException {
    Path own = daemonDir("own", Duration.ofDays(60), "daemon.log");
    Path stale = daemonDir("stale", Duration.ofDays(60), "daemon.log", "start.lock");
    Path recent = daemonDir("recent", Duration.ofDays(3), "daemon.log");
    Path running = daemonDir("running", Duration.ofDays(60), "daemon.log", "sock");

    int removed = DaemonPaths.sweepOthers(new DaemonPaths(own), Duration.ofDays(30));

    assertThat(removed).isEqualTo(1);
    assertThat(stale).doesNotExist();
    assertThat(own).exists();
    assertThat(recent).exists();
    assertThat(running).as("a socket: a daemon may be running").exists();
  }
}
