package io.capsule.sandbox.internal.wasi;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.sandbox.internal.wasi.Denial.Reason;
import io.capsule.sandbox.internal.wasi.FileProbe.Mode;
import io.capsule.sandbox.internal.wasi.FileProbe.Run;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class GuardedWasiTest {
  private static final int EROFS = 69;
  private static final int ENOTCAPABLE = 76;
  private static final int EPERM = 63;

  @TempDir Path tmp;
  private Path data;
  private Path outside;

  @BeforeEach
  void layout() throws IOException {
    data = Files.createDirectories(tmp.resolve("data"));
    outside = Files.createDirectories(tmp.resolve("outside"));
    write(data.resolve("hello.txt"), "hello");
    Files.createDirectories(data.resolve("sub"));
    Files.createDirectories(data.resolve("empty"));
    write(outside.resolve("secret.txt"), "top secret");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void readWriteMountAllowsReadingAndWriting(Mode mode) throws IOException {
    Run write = FileProbe.run(mode, rw("data"), "write", "data/new.txt", "written");
    Run read = FileProbe.run(mode, rw("data"), "read", "data/new.txt");

    assertThat(write.errno()).isZero();
    assertThat(Files.readString(data.resolve("new.txt"))).isEqualTo("written");
    assertThat(read.data()).isEqualTo("written");
    assertThat(read.denials()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
    "create, data/created.txt,",
    "append, data/hello.txt, more",
    "truncate, data/hello.txt,",
    "mkdir, data/newdir,",
    "rmdir, data/empty,",
    "unlink, data/hello.txt,",
    "rename, data/hello.txt, data/renamed.txt",
    "touch, data/hello.txt,",
  })
  void readWriteMountAllowsEveryMutation(String op, String path, String arg) {
    Run run = probe(rw("data"), op, path, arg);

    assertThat(run.result().path("ok").asBoolean()).as(run.result().toString()).isTrue();
    assertThat(run.denials()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
    "write, data/new.txt, x",
    "write, data/hello.txt, x",
    "create, data/created.txt,",
    "append, data/hello.txt, more",
    "truncate, data/hello.txt,",
    "mkdir, data/newdir,",
    "rmdir, data/empty,",
    "unlink, data/hello.txt,",
    "rename, data/hello.txt, data/renamed.txt",
    "touch, data/hello.txt,",
    "raw-mkdir, newdir,",
  })
  void readOnlyMountRefusesEveryMutation(String op, String path, String arg) throws IOException {
    Run run = probe(ro("data"), op, path, arg);

    assertThat(run.errno()).as(run.result().toString()).isEqualTo(EROFS);
    assertThat(run.denials()).extracting(Denial::reason).containsOnly(Reason.READ_ONLY);
    assertThat(Files.readString(data.resolve("hello.txt"))).isEqualTo("hello");
    assertThat(data.resolve("empty")).isDirectory();
    try (var files = Files.list(data)) {
      assertThat(files).hasSize(3);
    }
  }

  @Test
  void readOnlyMountRefusesEveryFdMutationOnAFileOpenedForReading() {
    Run run = FileProbe.run(ro("data"), "fdops", "data/hello.txt");

    assertThat(run.data()).isEqualTo("69,69,69,69,69");
    assertThat(run.denials())
        .extracting(Denial::operation)
        .containsExactly(
            "fd_write",
            "fd_pwrite",
            "fd_allocate",
            "fd_filestat_set_size",
            "fd_filestat_set_times");
    assertThat(run.denials()).extracting(Denial::path).containsOnly("data/hello.txt");
  }

  @ParameterizedTest
  @CsvSource({"read, data/hello.txt", "stat, data/hello.txt", "list, data"})
  void readOnlyMountStillReads(String op, String path) {
    Run run = FileProbe.run(ro("data"), op, path);

    assertThat(run.errno()).isZero();
    assertThat(run.denials()).isEmpty();
  }

  @Test
  void listingShowsTheMountedFiles() {
    assertThat(FileProbe.run(ro("data"), "list", "data").data().split(","))
        .containsExactlyInAnyOrder("hello.txt", "sub", "empty");
  }

  @ParameterizedTest
  @CsvSource({
    "raw-open, ../outside/secret.txt",
    "raw-open, sub/../../outside/secret.txt",
    "raw-open, /etc/passwd",
    "raw-stat, ../outside/secret.txt",
    "raw-mkdir, ../outside/made",
  })
  void pathsLeavingTheMountAreRefusedByTheHost(String op, String path) {
    Run run = FileProbe.run(rw("data"), op, path);

    assertThat(run.errno()).isEqualTo(ENOTCAPABLE);
    assertThat(run.denials())
        .containsExactly(new Denial(hostCall(op), path, Reason.OUTSIDE_MOUNTS));
    assertThat(outside.resolve("made")).doesNotExist();
  }

  @ParameterizedTest
  @CsvSource({"read, data/../outside/secret.txt", "read, /etc/passwd", "read, /outside/secret.txt"})
  void libcLevelEscapesFail(String op, String path) {
    assertThat(FileProbe.run(rw("data"), op, path).result().path("ok").asBoolean()).isFalse();
  }

  @ParameterizedTest
  @CsvSource({
    "read, data/outdir/secret.txt",
    "stat, data/outdir/secret.txt",
    "list, data/outdir",
    "read, data/outfile",
    "stat, data/outfile",
    "write, data/outdir/planted.txt",
    "write, data/outfile",
    "mkdir, data/outdir/planted",
    "touch, data/outfile",
    "write, data/dangling",
  })
  void symlinksPointingOutOfTheMountAreNotFollowed(String op, String path) throws IOException {
    Files.createSymbolicLink(data.resolve("outdir"), outside);
    Files.createSymbolicLink(data.resolve("outfile"), outside.resolve("secret.txt"));
    Files.createSymbolicLink(data.resolve("dangling"), outside.resolve("planted.txt"));

    Run run = probe(rw("data"), op, path, "planted");

    assertThat(run.errno()).as(run.result().toString()).isEqualTo(ENOTCAPABLE);
    assertThat(run.denials()).extracting(Denial::reason).containsOnly(Reason.OUTSIDE_MOUNTS);
    assertThat(run.result().toString()).doesNotContain("top secret");
    try (var files = Files.list(outside)) {
      assertThat(files).containsExactly(outside.resolve("secret.txt"));
    }
    assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo("top secret");
  }

  @Test
  void symlinksStayingInsideTheMountAreFollowed() throws IOException {
    Files.createSymbolicLink(data.resolve("alias.txt"), Path.of("hello.txt"));
    Files.createSymbolicLink(data.resolve("sub/up.txt"), Path.of("../hello.txt"));

    assertThat(FileProbe.run(ro("data"), "read", "data/alias.txt").data()).isEqualTo("hello");
    assertThat(FileProbe.run(ro("data"), "read", "data/sub/up.txt").data()).isEqualTo("hello");
  }

  @Test
  void removingASymlinkThatPointsOutRemovesOnlyTheLink() throws IOException {
    Files.createSymbolicLink(data.resolve("outfile"), outside.resolve("secret.txt"));

    assertThat(FileProbe.run(rw("data"), "unlink", "data/outfile").errno()).isZero();
    assertThat(data.resolve("outfile")).doesNotExist();
    assertThat(outside.resolve("secret.txt")).hasContent("top secret");
  }

  @ParameterizedTest
  @CsvSource({
    "symlink, ../outside/secret.txt, data/soft",
    "symlink, hello.txt, data/soft",
    "link, data/hello.txt, data/hard",
  })
  void guestCreatesNoLinks(String op, String target, String link) {
    Run run = FileProbe.run(rw("data"), op, target, link);

    assertThat(run.errno()).isEqualTo(EPERM);
    assertThat(run.denials()).extracting(Denial::reason).containsExactly(Reason.LINK_CREATION);
    assertThat(data.resolve(link.substring("data/".length()))).doesNotExist();
  }

  @Test
  void anFdWhosePathBecameASymlinkOutIsNotFollowed() throws IOException {
    write(outside.resolve("big.bin"), "x".repeat(12345));
    Files.createSymbolicLink(data.resolve("evil"), outside.resolve("big.bin"));

    Run run = FileProbe.run(rw("data"), "stale", "data/hello.txt", "data/evil");

    assertThat(run.errno()).isEqualTo(ENOTCAPABLE);
    assertThat(run.denials())
        .containsExactly(new Denial("fd_filestat_get", "data/hello.txt", Reason.OUTSIDE_MOUNTS));
  }

  @Test
  void renameMovesDirectoriesAndReplacesFilesLikePosix() throws IOException {
    write(data.resolve("other.txt"), "other");

    assertThat(FileProbe.run(rw("data"), "rename", "data/sub", "data/moved").errno()).isZero();
    assertThat(FileProbe.run(rw("data"), "rename", "data/other.txt", "data/hello.txt").errno())
        .isZero();
    assertThat(FileProbe.run(rw("data"), "rename", "data/hello.txt", "data/empty").errno())
        .isEqualTo(31); // EISDIR
    assertThat(FileProbe.run(rw("data"), "rename", "data/nope", "data/x").errno())
        .isEqualTo(44); // ENOENT

    assertThat(data.resolve("moved")).isDirectory();
    assertThat(data.resolve("hello.txt")).hasContent("other");
  }

  @Test
  void renameIntoOrOutOfASymlinkedOutsideDirectoryIsRefused() throws IOException {
    Files.createSymbolicLink(data.resolve("outdir"), outside);

    Run into = FileProbe.run(rw("data"), "rename", "data/hello.txt", "data/outdir/stolen.txt");
    Run outOf = FileProbe.run(rw("data"), "rename", "data/outdir/secret.txt", "data/got.txt");

    assertThat(into.errno()).isEqualTo(ENOTCAPABLE);
    assertThat(outOf.errno()).isEqualTo(ENOTCAPABLE);
    assertThat(data.resolve("hello.txt")).hasContent("hello");
    assertThat(outside.resolve("secret.txt")).hasContent("top secret");
  }

  @Test
  void twoMountsKeepTheirOwnModes() throws IOException {
    Path in = Files.createDirectories(tmp.resolve("in"));
    write(in.resolve("input.txt"), "input");
    var config =
        WasiConfig.builder()
            .withMount(Mount.readOnly(in, "in"))
            .withMount(Mount.readWrite(data, "out"));

    assertThat(FileProbe.run(config, "read", "in/input.txt").data()).isEqualTo("input");
    assertThat(FileProbe.run(config, "write", "in/new.txt", "x").errno()).isEqualTo(EROFS);
    assertThat(FileProbe.run(config, "write", "out/new.txt", "x").errno()).isZero();
    assertThat(FileProbe.run(config, "rename", "in/input.txt", "out/moved.txt").errno())
        .isEqualTo(EROFS);
    assertThat(FileProbe.run(config, "rename", "out/new.txt", "in/moved.txt").errno())
        .isEqualTo(EROFS);
    assertThat(in.resolve("input.txt")).hasContent("input");
    assertThat(in.resolve("moved.txt")).doesNotExist();
  }

  @Test
  void aSymlinkFromOneMountIntoAnotherIsRefused() throws IOException {
    Path in = Files.createDirectories(tmp.resolve("in"));
    write(in.resolve("input.txt"), "input");
    Files.createSymbolicLink(data.resolve("toin"), in);
    var config =
        WasiConfig.builder()
            .withMount(Mount.readOnly(in, "in"))
            .withMount(Mount.readWrite(data, "out"));

    assertThat(FileProbe.run(config, "write", "out/toin/input.txt", "x").errno())
        .isEqualTo(ENOTCAPABLE);
    assertThat(in.resolve("input.txt")).hasContent("input");
  }

  @Test
  void aReadOnlyMountNestedInAReadWriteOneStaysReadOnly() throws IOException {
    Path nested = Files.createDirectories(data.resolve("sub/locked"));
    var config =
        WasiConfig.builder()
            .withMount(Mount.readWrite(data, "data"))
            .withMount(Mount.readOnly(nested, "locked"));

    assertThat(FileProbe.run(config, "write", "data/sub/locked/x", "x").errno()).isEqualTo(EROFS);
    assertThat(FileProbe.run(config, "write", "data/sub/x", "x").errno()).isZero();
  }

  @ParameterizedTest
  @CsvSource({
    "work/input, work/input/hello.txt",
    "work/input, /work/input/hello.txt",
    "/work/input, work/input/hello.txt",
    "./work/input, /work/input/hello.txt",
    "., hello.txt",
    "/, /hello.txt",
  })
  void mountIsSeenAtItsGuestPath(String guestPath, String probePath) {
    var config = WasiConfig.builder().withMount(Mount.readOnly(data, guestPath));

    assertThat(FileProbe.run(config, "read", probePath).data()).isEqualTo("hello");
  }

  @Test
  void theHostDirectoryNameIsNotVisibleUnderAnotherGuestPath() {
    var config = WasiConfig.builder().withMount(Mount.readOnly(data, "work/input"));

    assertThat(FileProbe.run(config, "read", "data/hello.txt").errno()).isNotZero();
  }

  @Test
  void onlyAllowlistedEnvironmentVariablesAreVisible() {
    var source = java.util.Map.of("API_TOKEN", "t0k3n", "HOME", "/root", "SECRET", "s");
    var env = GuestEnvironment.select(java.util.List.of("API_TOKEN", "MISSING"), source);
    var config = WasiConfig.builder().withEnvironment(env);

    assertThat(FileProbe.run(config, "env", "API_TOKEN").data()).isEqualTo("t0k3n");
    assertThat(FileProbe.run(config, "env", "SECRET").errno()).isNotZero();
    assertThat(FileProbe.run(config, "env", "HOME").errno()).isNotZero();
    assertThat(FileProbe.run(config, "env", "MISSING").errno()).isNotZero();
  }

  @Test
  void endlessOutputIsBounded() {
    var stdout = BoundedOutput.head(64 << 10);
    var stderr = BoundedOutput.tail(4 << 10);
    var config = WasiConfig.builder().withStderr(stderr);

    try (var wasi =
        GuardedWasi.create(
            config
                .withArguments(java.util.List.of("fileprobe", "spew", "8388608", "out"))
                .withStdout(stdout)
                .build())) {
      assertThat(FileProbe.execute(Mode.COMPILED, wasi)).isZero();
    }
    try (var wasi =
        GuardedWasi.create(
            WasiConfig.builder()
                .withStderr(stderr)
                .withArguments(java.util.List.of("fileprobe", "spew", "1048576", "err"))
                .build())) {
      assertThat(FileProbe.execute(Mode.COMPILED, wasi)).isZero();
    }

    assertThat(stdout.toByteArray()).hasSize(64 << 10);
    assertThat(stdout.droppedBytes()).isEqualTo((8 << 20) - (64 << 10));
    assertThat(stderr.toByteArray()).hasSize(4 << 10);
    assertThat(stderr.totalBytes()).isEqualTo(1 << 20);
  }

  private Run probe(WasiConfig.Builder config, String op, String path, String arg) {
    return arg == null ? FileProbe.run(config, op, path) : FileProbe.run(config, op, path, arg);
  }

  private WasiConfig.Builder rw(String guestPath) {
    return WasiConfig.builder().withMount(Mount.readWrite(data, guestPath));
  }

  private WasiConfig.Builder ro(String guestPath) {
    return WasiConfig.builder().withMount(Mount.readOnly(data, guestPath));
  }

  private static String hostCall(String op) {
    switch (op) {
      case "raw-stat":
        return "path_filestat_get";
      case "raw-mkdir":
        return "path_create_directory";
      default:
        return "path_open";
    }
  }

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
