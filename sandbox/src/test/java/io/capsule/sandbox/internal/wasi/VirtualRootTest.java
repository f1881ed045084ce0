package io.capsule.sandbox.internal.wasi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.InvalidRequestException;
import io.capsule.sandbox.internal.wasi.Denial.Reason;
import io.capsule.sandbox.internal.wasi.FileProbe.Run;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Mounts served under a virtual root behave as the same mounts preopened one by one: the real
 * wasi-libc probe ({@code fileprobe.wasm}) runs each operation in both layouts, on two copies of
 * the same files, and must see the same errno, data and denials and leave the same files behind.
 */
class VirtualRootTest {
  private static final int ENOENT = 44;
  private static final int EROFS = 69;
  private static final int ENOTCAPABLE = 76;

  @TempDir Path tmp;

  /** The files one layout runs on: the mounts' directories and one outside them. */
  private record Tree(Path root, List<Mount> mounts) {}

  private Tree tree(String name) throws IOException {
    Path root = Files.createDirectories(tmp.resolve(name));
    Path data = Files.createDirectories(root.resolve("data"));
    Path out = Files.createDirectories(root.resolve("out"));
    Path input = Files.createDirectories(root.resolve("input"));
    Path outside = Files.createDirectories(root.resolve("outside"));
    write(data.resolve("hello.txt"), "hello");
    Files.createDirectories(data.resolve("sub"));
    write(out.resolve("old.txt"), "old");
    write(input.resolve("in.txt"), "nested");
    write(outside.resolve("secret.txt"), "top secret");
    Files.createSymbolicLink(data.resolve("outlink"), outside.resolve("secret.txt"));
    return new Tree(
        root,
        List.of(
            Mount.readOnly(data, "./data"),
            Mount.readWrite(out, "/out"),
            Mount.readOnly(input, "work/input")));
  }

  @ParameterizedTest
  @CsvSource({
    "read, data/hello.txt,",
    "read, /data/hello.txt,",
    "read, data//sub/../hello.txt,",
    "read, work/input/in.txt,",
    "read, /work/input/in.txt,",
    "list, data,",
    "list, /data/,",
    "list, work/input,",
    "stat, data,",
    "read, data/outlink,",
    "read, data/../outside/secret.txt,",
    "read, data/../../x,",
    "write, data/new.txt, x",
    "write, out/new.txt, x",
    "write, /out/sub/new.txt, x",
    "write, data/../out/x.txt, x",
    "append, out/old.txt, more",
    "truncate, data/hello.txt,",
    "mkdir, out/made,",
    "mkdir, data/made,",
    "rmdir, data/sub,",
    "unlink, out/old.txt,",
    "unlink, data/hello.txt,",
    "rename, out/old.txt, out/renamed.txt",
    "rename, out/old.txt, data/moved.txt",
    "rename, data/hello.txt, out/moved.txt",
    "symlink, hello.txt, out/soft",
    "link, out/old.txt, out/hard",
    "touch, data/hello.txt,",
    "touch, out/old.txt,",
    "fdops, data/hello.txt,",
  })
  void servedUnderTheRootBehavesAsPreopened(String op, String path, String arg) throws IOException {
    Tree preopened = tree("preopened");
    Tree virtual = tree("virtual");

    Run expected = probe(preopen(preopened.mounts()), op, path, arg);
    Run actual = probe(underRoot(virtual.mounts()), op, path, arg);

    assertThat(actual.exitCode()).isEqualTo(expected.exitCode());
    assertThat(actual.result()).as(op + " " + path).isEqualTo(expected.result());
    assertThat(actual.denials()).isEqualTo(expected.denials());
    assertThat(contents(virtual.root())).isEqualTo(contents(preopened.root()));
  }

  /**
   * A path no mount matches fails before any file is touched, and is not a recorded denial: the
   * probe's own wasi-libc (Debian's, older) fails it with ENOTCAPABLE when the mounts are
   * preopened; the root answers ENOENT, what CPython's newer wasi-libc answers for the same path
   * (checked on a cold CPython start, see PythonSnapshotTest).
   */
  @ParameterizedTest
  @CsvSource({
    "list, work,",
    "list, .,",
    "list, /,",
    "stat, /,",
    "stat, nope,",
    "read, outside/secret.txt,",
    "read, /outside/secret.txt,",
    "read, datas/hello.txt,",
    "write, newtop.txt, x",
    "mkdir, made,",
    "rename, out/old.txt, moved.txt",
    "rename, nowhere.txt, out/x.txt",
    "symlink, hello.txt, soft",
    "link, nowhere.txt, out/hard",
  })
  void aPathNoMountMatchesFailsWithEnoentAndTouchesNothing(String op, String path, String arg)
      throws IOException {
    Tree preopened = tree("preopened");
    Tree virtual = tree("virtual");

    Run expected = probe(preopen(preopened.mounts()), op, path, arg);
    Run actual = probe(underRoot(virtual.mounts()), op, path, arg);

    assertThat(expected.errno()).as(expected.result().toString()).isEqualTo(ENOTCAPABLE);
    assertThat(expected.denials()).isEmpty();
    assertThat(actual.errno()).as(actual.result().toString()).isEqualTo(ENOENT);
    assertThat(actual.denials()).isEmpty();
    assertThat(contents(virtual.root())).isEqualTo(contents(preopened.root()));
  }

  @Test
  void theSameOperationsGiveWhatAPreopenedLayoutGives() throws IOException {
    Tree virtual = tree("virtual");
    var layout = underRoot(virtual.mounts());

    assertThat(probe(layout, "read", "data/hello.txt", null).data()).isEqualTo("hello");
    assertThat(probe(layout, "read", "outside/secret.txt", null).errno()).isEqualTo(ENOENT);
    assertThat(probe(layout, "write", "data/new.txt", "x").errno()).isEqualTo(EROFS);
    Run escape = probe(layout, "write", "data/../out/x.txt", "x");
    assertThat(escape.errno()).isEqualTo(ENOTCAPABLE);
    assertThat(escape.denials())
        .containsExactly(new Denial("path_open", "../out/x.txt", Reason.OUTSIDE_MOUNTS));
    assertThat(probe(layout, "write", "out/new.txt", "written").errno()).isZero();
    assertThat(virtual.root().resolve("out/new.txt")).hasContent("written");
  }

  @Test
  void anEmptyRootHasNothingInIt() throws IOException {
    Tree preopened = tree("preopened");
    var empty = WasiConfig.builder().withVirtualRoot(List.of());

    assertThat(probe(empty, "list", "/", null).errno()).isEqualTo(ENOENT);
    assertThat(probe(empty, "read", "data/hello.txt", null).errno()).isEqualTo(ENOENT);
    assertThat(probe(empty, "write", "x.txt", "x").errno()).isEqualTo(ENOENT);
    assertThat(probe(empty, "read", "data/hello.txt", null).denials()).isEmpty();
    try (Stream<Path> files = Files.list(VirtualRoot.hostDirectory())) {
      assertThat(files).isEmpty();
    }
    assertThat(contents(preopened.root())).containsKey("data/hello.txt");
  }

  @ParameterizedTest
  @CsvSource({
    "raw-open, ../outside/secret.txt, 44",
    "raw-open, /etc/passwd, 76",
    "raw-open, ., 44",
    "raw-stat, data/../../outside/secret.txt, 76",
    "raw-mkdir, made, 44",
    "raw-mkdir, data/made, 69",
  })
  void callsStraightOnTheRootFdAreRoutedOrRefused(String op, String path, int errno)
      throws IOException {
    Tree virtual = tree("virtual");

    Run run = probe(underRoot(virtual.mounts()), op, path, null);

    assertThat(run.errno()).as(run.result().toString()).isEqualTo(errno);
    assertThat(virtual.root().resolve("made")).doesNotExist();
    assertThat(virtual.root().resolve("data/made")).doesNotExist();
  }

  @Test
  void twoRunsServeOnlyTheirOwnMounts() throws IOException {
    Tree virtual = tree("virtual");
    var onlyData = WasiConfig.builder().withVirtualRoot(List.of(virtual.mounts().get(0)));
    var onlyOut = WasiConfig.builder().withVirtualRoot(List.of(virtual.mounts().get(1)));

    assertThat(probe(onlyData, "read", "data/hello.txt", null).data()).isEqualTo("hello");
    assertThat(probe(onlyData, "list", "out", null).errno()).isEqualTo(ENOENT);
    assertThat(probe(onlyOut, "read", "data/hello.txt", null).errno()).isEqualTo(ENOENT);
    assertThat(probe(onlyOut, "write", "out/x.txt", "x").errno()).isZero();
  }

  @Test
  void theRootsHostDirectoryIsMadeAgainWhenATempCleanerRemovedIt() throws IOException {
    Files.delete(VirtualRoot.hostDirectory());

    Run run = probe(WasiConfig.builder().withVirtualRoot(List.of()), "read", "x.txt", null);

    assertThat(run.errno()).isEqualTo(ENOENT);
    assertThat(VirtualRoot.hostDirectory()).isEmptyDirectory();
  }

  @Test
  void aMountServedUnderTheRootCannotShareAGuestPathWithAPreopenedOne() throws IOException {
    Tree virtual = tree("virtual");
    var clash =
        WasiConfig.builder()
            .withMount(Mount.readOnly(virtual.root().resolve("data"), "/data"))
            .withVirtualRoot(List.of(Mount.readOnly(virtual.root().resolve("out"), "data")));

    assertThatThrownBy(clash::build).isInstanceOf(InvalidRequestException.class);
  }

  private static WasiConfig.Builder preopen(List<Mount> mounts) {
    return WasiConfig.builder().withMounts(mounts);
  }

  private static WasiConfig.Builder underRoot(List<Mount> mounts) {
    return WasiConfig.builder().withVirtualRoot(mounts);
  }

  private static Run probe(WasiConfig.Builder config, String op, String path, String arg) {
    return arg == null ? FileProbe.run(config, op, path) : FileProbe.run(config, op, path, arg);
  }

  /** Every file and directory under {@code root}, by relative path: content, or "dir"/"link". */
  private static TreeMap<String, String> contents(Path root) throws IOException {
    Function<Path, String> describe =
        p -> {
          try {
            if (Files.isSymbolicLink(p)) {
              return "link " + Files.readSymbolicLink(p).getFileName();
            }
            return Files.isDirectory(p) ? "dir" : Files.readString(p);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        };
    TreeMap<String, String> map = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      walk.filter(p -> !p.equals(root))
          .forEach(p -> map.put(root.relativize(p).toString(), describe.apply(p)));
    }
    return map;
  }

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
