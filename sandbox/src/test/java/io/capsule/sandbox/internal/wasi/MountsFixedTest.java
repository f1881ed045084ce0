package io.capsule.sandbox.internal.wasi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.PermissionDeniedException;
import io.capsule.sandbox.internal.wasi.Denial.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Mounts are fixed for the attempt: no guest moves a mount's directory, the mode of a change is the
 * innermost mount's on the resolved path, and a path checked is the path used, even while another
 * guest renames things in the same directory.
 */
class MountsFixedTest {
  private static final int EACCES = 2;
  private static final int EBADF = 8;
  private static final int EBUSY = 10;
  private static final int ELOOP = 32;
  private static final int ENOENT = 44;
  private static final int EPERM = 63;
  private static final int EROFS = 69;
  private static final int ENOTCAPABLE = 76;

  @TempDir Path root;
  private Path ro;
  private Path outside;

  @BeforeEach
  void layout() throws IOException {
    ro = Files.createDirectories(root.resolve("data/ro"));
    Files.writeString(ro.resolve("secret.txt"), "secret");
    outside = Files.createDirectories(root.resolve("outside"));
    Files.writeString(outside.resolve("file.txt"), "top secret");
  }

  @Test
  void renamingTheParentOfAReadOnlyMountIsRefusedAndItsFilesStayUnchanged() throws IOException {
    var steps =
        new WasiSteps()
            .rename("data", "data2")
            .openToOverwrite("data2/ro/secret.txt")
            .write("pwned")
            .openToOverwrite("data/ro/secret.txt")
            .write("pwned");

    var run = steps.run(nestedReadOnly());

    assertThat(run.errnos()).containsExactly(EBUSY, ENOENT, EBADF, EROFS, EBADF);
    assertThat(run.denials())
        .containsExactly(
            new Denial("path_rename", "data", Reason.MOUNT_ROOT),
            new Denial("path_open", "data/ro/secret.txt", Reason.READ_ONLY));
    assertThat(ro.resolve("secret.txt")).hasContent("secret");
    assertThat(root.resolve("data2")).doesNotExist();
  }

  @Test
  void aMountRootIsNeitherRemovedNorRenamedNorReplaced() throws IOException {
    Path out = Files.createDirectories(root.resolve("out"));
    Files.createDirectories(root.resolve("empty"));
    Object identity = fileKey(out);
    var config =
        WasiConfig.builder()
            .withMount(Mount.readWrite(root, "."))
            .withMount(Mount.readWrite(out, "out"))
            .withMount(Mount.readOnly(ro, "data/ro"));
    var steps =
        new WasiSteps()
            .removeDirectory("out")
            .rename("out", "moved")
            .rename("empty", "out")
            .removeDirectory("data")
            .rename("data/ro", "ro2")
            .removeDirectory(".")
            .rename("empty", "gone");

    var run = steps.run(config);

    assertThat(run.errnos()).containsExactly(EBUSY, EBUSY, EBUSY, EBUSY, EBUSY, EBUSY, 0);
    assertThat(run.denials()).extracting(Denial::reason).containsOnly(Reason.MOUNT_ROOT);
    assertThat(fileKey(root.resolve("out"))).isEqualTo(identity);
    assertThat(ro.resolve("secret.txt")).hasContent("secret");
  }

  @Test
  void aMountOfAnotherRunningAttemptIsFixedUntilThatAttemptEnds() throws IOException {
    var onlyTheParent = WasiConfig.builder().withMount(Mount.readWrite(root, "."));
    var rename = new WasiSteps().rename("data", "data2").rename("data2", "data");
    var other = WasiConfig.builder().withMount(Mount.readOnly(ro, "ro")).build();

    var running = GuardedWasi.create(other);
    try {
      assertThat(rename.run(onlyTheParent).errnos()).containsExactly(EBUSY, EBUSY);
    } finally {
      running.close();
    }
    assertThat(rename.run(onlyTheParent).errnos()).containsExactly(0, 0);
  }

  @Test
  void aRootMountedByTwoAttemptsStaysFixedUntilBothEnd() {
    var onlyTheParent = WasiConfig.builder().withMount(Mount.readWrite(root, "."));
    var renameAndBack = new WasiSteps().rename("data", "data2").rename("data2", "data");
    var mountsRo = WasiConfig.builder().withMount(Mount.readOnly(ro, "ro")).build();

    var first = GuardedWasi.create(mountsRo);
    var second = GuardedWasi.create(mountsRo);
    first.close();
    first.close(); // a second close releases nothing more
    try {
      assertThat(renameAndBack.run(onlyTheParent).errnos()).containsExactly(EBUSY, EBUSY);
    } finally {
      second.close();
    }
    assertThat(renameAndBack.run(onlyTheParent).errnos()).containsExactly(0, 0);
  }

  @Test
  void aParentRenamedByTheHostDuringTheRunDoesNotMakeAReadOnlyMountWritable() throws IOException {
    var steps = new WasiSteps().openToOverwrite("data2/ro/secret.txt").write("pwned");

    var run = steps.run(nestedReadOnly(), () -> move(root.resolve("data"), root.resolve("data2")));

    assertThat(run.errnos()).containsExactly(EROFS, EBADF);
    assertThat(root.resolve("data2/ro/secret.txt")).hasContent("secret");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "data/ro/secret.txt",
        "data/ro/../ro/secret.txt",
        "data//ro/./secret.txt",
        "./data/ro/secret.txt",
        "data/../data/ro/secret.txt",
        "alias/secret.txt",
        "secret-link",
      })
  void aReadOnlyMountNestedInAReadWriteOneIsReadOnlyUnderEverySpelling(String path)
      throws IOException {
    Files.createSymbolicLink(root.resolve("alias"), Path.of("data/ro"));
    Files.createSymbolicLink(root.resolve("secret-link"), Path.of("data/ro/secret.txt"));
    var steps = new WasiSteps().openToOverwrite(path).write("pwned").openToRead(path).read();

    var run = steps.run(nestedReadOnly());

    assertThat(run.errnos().subList(0, 3)).containsExactly(EROFS, EBADF, 0);
    assertThat(run.lines().get(3)).isEqualTo("00 secret");
    assertThat(ro.resolve("secret.txt")).hasContent("secret");
  }

  @Test
  void aReadWriteMountNestedInAReadOnlyOneIsWritableThroughEitherMount() throws IOException {
    Path out = Files.createDirectories(root.resolve("out"));
    var config =
        WasiConfig.builder()
            .withMount(Mount.readOnly(root, "."))
            .withMount(Mount.readWrite(out, "out"));
    var steps =
        new WasiSteps()
            .openToOverwrite("out/result.txt")
            .write("done")
            .openToOverwrite("result.txt")
            .rename("out", "out2");

    var run = steps.run(config);

    assertThat(run.errnos()).containsExactly(0, 0, EROFS, EBUSY);
    assertThat(out.resolve("result.txt")).hasContent("done");
    assertThat(root.resolve("result.txt")).doesNotExist();
  }

  @Test
  void theGuestCreatesNoSymlinks() {
    var steps = new WasiSteps().symlink("/etc", "etc").symlink("outside", "data/ro/link");

    var run = steps.run(nestedReadOnly());

    assertThat(run.errnos()).containsExactly(EPERM, EPERM);
    assertThat(run.denials()).extracting(Denial::reason).containsOnly(Reason.LINK_CREATION);
    assertThat(root.resolve("etc")).doesNotExist();
    assertThat(ro.resolve("link")).doesNotExist();
  }

  @Test
  void aSymlinkPointingOutOfTheMountIsNotFollowedByAnyOpen() throws IOException {
    Files.createSymbolicLink(root.resolve("data/out"), outside);
    Files.createSymbolicLink(root.resolve("data/file"), outside.resolve("file.txt"));
    var config = WasiConfig.builder().withMount(Mount.readWrite(root.resolve("data"), "."));
    var steps =
        new WasiSteps()
            .openToRead("out/file.txt")
            .openToRead("file")
            .open(WasiSteps.PREOPEN, "file", 0, WasiSteps.RIGHT_READ, false)
            .openToOverwrite("out/file.txt")
            .openToOverwrite("file")
            .open(WasiSteps.PREOPEN, "out/new.txt", WasiSteps.OFLAG_CREAT, 64, true);

    var run = steps.run(config);

    assertThat(run.errnos())
        .containsExactly(ENOTCAPABLE, ENOTCAPABLE, ELOOP, ENOTCAPABLE, ENOTCAPABLE, ENOTCAPABLE);
    assertOutsideUntouched();
  }

  @Test
  void aMountWhosePathLeadsElsewhereWhenTheRunStartsIsRefused() throws IOException {
    Path data = root.resolve("data");
    var config = WasiConfig.builder().withMount(Mount.readWrite(data, "data")).build();
    move(data, root.resolve("data.away"));
    Files.createSymbolicLink(data, outside);

    assertThatThrownBy(() -> GuardedWasi.create(config))
        .isInstanceOf(PermissionDeniedException.class)
        .hasMessageContaining("now leads to");
    assertThat(MountRegistry.holdsMountRoot(outside)).isFalse();
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void aFifoIsNotOpenedSoNoOpenBlocksTheOtherAttempts() throws Exception {
    Path fifo = root.resolve("data/fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    var steps = new WasiSteps().openToRead("data/fifo");

    var run =
        Assertions.assertTimeoutPreemptively(
            Duration.ofSeconds(30), () -> steps.run(nestedReadOnly()));

    assertThat(run.errnos()).containsExactly(EACCES);
    assertThat(run.denials()).extracting(Denial::reason).containsExactly(Reason.SPECIAL_FILE);
  }

  /**
   * One guest swaps a directory and a pre-existing symlink pointing outside back and forth by
   * renames, while another guest of a concurrent attempt on the same directory reads and overwrites
   * a file through that name: every open sees either the directory or the symlink (refused), never
   * the file outside. The outcome is asserted, not the interleaving.
   */
  @Test
  void aGuestSwappingASymlinkInNeverLetsAConcurrentGuestOutOfTheMount() throws Exception {
    Path shared = Files.createDirectories(root.resolve("shared/real")).getParent();
    Files.writeString(shared.resolve("real/file.txt"), "inside");
    Files.createSymbolicLink(shared.resolve("evil"), outside);
    int rounds = 1500;
    var flipper = new WasiSteps();
    flipper.repeat(
        rounds,
        () ->
            flipper
                .rename("real", "real.away")
                .rename("evil", "real")
                .rename("real", "evil")
                .rename("real.away", "real"));
    var victim = new WasiSteps();
    victim.repeat(
        rounds,
        () ->
            victim
                .openToRead("real/file.txt")
                .read()
                .close()
                .openToOverwrite("real/file.txt")
                .write("inside")
                .close());
    flipper.module();
    victim.module();

    var start = new CountDownLatch(1);
    var flips = CompletableFuture.supplyAsync(() -> after(start, () -> flipper.run(rw(shared))));
    var reads = CompletableFuture.supplyAsync(() -> after(start, () -> victim.run(rw(shared))));
    start.countDown();
    var victimRun = reads.get();
    var flipperRun = flips.get();

    assertThat(flipperRun.errnos()).hasSize(4 * rounds).containsOnly(0);
    assertThat(victimRun.lines()).hasSize(4 * rounds);
    assertThat(victimRun.lines()).allSatisfy(line -> assertThat(line).doesNotContain("top"));
    assertThat(victimRun.errnos()).isSubsetOf(0, EBADF, ENOENT, ENOTCAPABLE);
    assertOutsideUntouched();
    assertThat(shared.resolve("real/file.txt")).hasContent("inside");
  }

  private static <T> T after(CountDownLatch start, java.util.function.Supplier<T> run) {
    try {
      start.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return run.get();
  }

  private void assertOutsideUntouched() throws IOException {
    try (var files = Files.list(outside)) {
      assertThat(files).containsExactly(outside.resolve("file.txt"));
    }
    assertThat(outside.resolve("file.txt")).hasContent("top secret");
  }

  private WasiConfig.Builder nestedReadOnly() {
    return WasiConfig.builder()
        .withMount(Mount.readWrite(root, "."))
        .withMount(Mount.readOnly(ro, "data/ro"));
  }

  private static WasiConfig.Builder rw(Path dir) {
    return WasiConfig.builder().withMount(Mount.readWrite(dir, "."));
  }

  private static Object fileKey(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .fileKey();
  }

  private static void move(Path from, Path to) {
    try {
      Files.move(from, to);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
