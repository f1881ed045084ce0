package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmptyFilesRootTest {
  @TempDir Path tmp;

  /** The pid of a process that has exited (a worker killed with SIGKILL leaves such a name). */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }

  @Test
  void theDirectoryOfAKilledWorkerIsDeletedByTheNextOne() throws Exception {
    Path stale = Files.createDirectory(tmp.resolve(EmptyFilesRoot.PREFIX + deadPid() + "-123"));

    Path mine = EmptyFilesRoot.create(tmp);

    assertThat(stale).doesNotExist();
    assertThat(mine).isEmptyDirectory();
    assertThat(mine.getFileName().toString())
        .startsWith(EmptyFilesRoot.PREFIX + ProcessHandle.current().pid() + "-");
  }

  @Test
  void aLiveWorkersDirectoryAndAnyNonEmptyOrUnnamedOneAreLeftAlone() throws Exception {
    long dead = deadPid();
    Path live =
        Files.createDirectory(
            tmp.resolve(EmptyFilesRoot.PREFIX + ProcessHandle.current().pid() + "-1"));
    Path notEmpty = Files.createDirectory(tmp.resolve(EmptyFilesRoot.PREFIX + dead + "-2"));
    Files.writeString(notEmpty.resolve("kept.txt"), "someone's file");
    Path oldStyle = Files.createDirectory(tmp.resolve(EmptyFilesRoot.PREFIX + "8734587345"));
    Path target = Files.createDirectory(tmp.resolve("target"));
    Path link = Files.createSymbolicLink(tmp.resolve(EmptyFilesRoot.PREFIX + dead + "-3"), target);

    assertThat(EmptyFilesRoot.reapAbandoned(tmp)).isZero();

    assertThat(live).isDirectory();
    assertThat(notEmpty.resolve("kept.txt")).exists();
    assertThat(oldStyle).isDirectory();
    assertThat(link).isSymbolicLink();
    assertThat(target).isDirectory();
  }
}
