package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.FileGrant;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** allowed_files and env_variables through the public API, on the real file-probe module. */
class SandboxPermissionsTest {
  @TempDir Path root;
  @TempDir Path outside;
  private Sandbox sandbox;
  private PreparedModule probe;

  @BeforeEach
  void setUp() throws IOException {
    Files.createDirectories(root.resolve("data"));
    Files.writeString(root.resolve("data/in.txt"), "input");
    Files.createDirectories(root.resolve("out"));
    Files.writeString(outside.resolve("secret.txt"), "top secret");
    Files.createSymbolicLink(root.resolve("data/escape"), outside.resolve("secret.txt"));
    sandbox =
        Sandbox.create(
            SandboxConfig.builder()
                .withFilesRoot(root)
                .withEnvironment(Map.of("API_KEY", "k-123", "HOME_SECRET", "nope"))
                .build());
    probe = sandbox.prepare(Corpus.resource("wasi/fileprobe.wasm"));
  }

  private ResultEnvelope probe(TaskOptions options, String... args) {
    List<JsonNode> json = new ArrayList<>();
    for (String a : args) {
      json.add(TextNode.valueOf(a));
    }
    return sandbox.run(probe, new TaskCall(options, json));
  }

  private static TaskOptions files(String... grants) {
    List<FileGrant> list = new ArrayList<>();
    for (String g : grants) {
      list.add(FileGrant.parse(g));
    }
    return TaskOptions.builder().allowedFiles(list).build();
  }

  /**
   * A grant that contains Capsule's cache directory (its installation key, the compiled classes it
   * loads) or lies inside it is refused before the task starts; a sibling grant still works.
   */
  @Test
  void aGrantCoveringTheCacheDirectoryIsRefused() throws IOException {
    Path cache = Files.createDirectories(root.resolve("home/.cache/capsule"));
    Files.createDirectories(root.resolve("home/work"));
    try (Sandbox cached =
        Sandbox.create(SandboxConfig.builder().withFilesRoot(root).withCacheDir(cache).build())) {
      PreparedModule module = cached.prepare(Corpus.resource("wasi/fileprobe.wasm"));
      for (String grant : List.of("home", "home/.cache", "home/.cache/capsule:ro")) {
        ResultEnvelope refused =
            cached.run(module, new TaskCall(files(grant), List.of(TextNode.valueOf("list"))));
        assertThat(refused.error().errorType()).as(grant).isEqualTo(ErrorType.PERMISSION_DENIED);
        assertThat(refused.error().message()).contains("cache directory");
      }
      ResultEnvelope sibling =
          cached.run(
              module,
              new TaskCall(
                  files("home/work"),
                  List.of(
                      TextNode.valueOf("write"),
                      TextNode.valueOf("home/work/a.txt"),
                      TextNode.valueOf("ok"))));
      assertThat(sibling.success()).as("%s", sibling.error()).isTrue();
      assertThat(root.resolve("home/work/a.txt")).hasContent("ok");
    }
  }

  @Test
  void aGrantedDirectoryIsSeenAtTheRelativePathItWasGiven() {
    ResultEnvelope read = probe(files("data:ro"), "read", "data/in.txt");
    assertThat(read.result().get("data").asText()).isEqualTo("input");

    ResultEnvelope write = probe(files("out"), "write", "out/result.txt", "done");
    assertThat(write.result().get("ok").asBoolean()).isTrue();
    assertThat(root.resolve("out/result.txt")).hasContent("done");
  }

  @Test
  void readOnlyRefusesWritesAndNothingOutsideIsReachable() {
    assertThat(probe(files("data:ro"), "write", "data/in.txt", "x").result().get("errno").asInt())
        .isEqualTo(69);
    assertThat(probe(files("data:ro"), "read", "data/escape").result().get("ok").asBoolean())
        .isFalse();
    assertThat(probe(files("data"), "read", "data/../../secret.txt").result().get("ok").asBoolean())
        .isFalse();
    assertThat(probe(TaskOptions.NONE, "read", "data/in.txt").result().get("ok").asBoolean())
        .isFalse();
    assertThat(root.resolve("data/in.txt")).hasContent("input");
  }

  @Test
  void aReadOnlyGrantNestedInAWritableOneCannotBeMovedAsideAndWritten() throws IOException {
    Files.createDirectories(root.resolve("data/locked"));
    Files.writeString(root.resolve("data/locked/keep.txt"), "keep");
    TaskOptions grants = files(".", "data/locked:ro");

    ResultEnvelope rename = probe(grants, "rename", "data", "data2");
    ResultEnvelope write = probe(grants, "write", "./data/../data/locked/keep.txt", "x");

    assertThat(rename.result().get("errno").asInt()).isEqualTo(10); // EBUSY
    assertThat(write.result().get("errno").asInt()).isEqualTo(69); // EROFS
    assertThat(root.resolve("data/locked/keep.txt")).hasContent("keep");
    assertThat(root.resolve("data2")).doesNotExist();
  }

  @Test
  void aTaskFailingAfterItsGrantsParentWasRefusedARenameIsPermissionDenied() throws IOException {
    Files.createDirectories(root.resolve("data/locked"));
    var renameThenFail =
        sandbox.prepare(
            WatAssembler.assemble(
                """
                (module
                  (import "wasi_snapshot_preview1" "path_rename"
                    (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
                  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
                  (memory (export "memory") 1)
                  (data (i32.const 16) "data")
                  (data (i32.const 32) "data2")
                  (func (export "_start")
                    (if (call $rename (i32.const 3) (i32.const 16) (i32.const 4)
                                      (i32.const 3) (i32.const 32) (i32.const 5))
                      (then (call $exit (i32.const 1))))))
                """));

    ResultEnvelope envelope =
        sandbox.run(renameThenFail, new TaskCall(files(".", "data/locked:ro"), List.of()));

    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.PERMISSION_DENIED);
    assertThat(envelope.error().message()).contains("path_rename on 'data' refused (mount root)");
    assertThat(root.resolve("data/locked")).isDirectory();
  }

  @Test
  void aGrantOutsideTheFilesRootIsPermissionDenied() {
    ResultEnvelope envelope = probe(files("../" + outside.getFileName()), "list", ".");
    assertThat(envelope.error().errorType())
        .isIn(ErrorType.PERMISSION_DENIED, ErrorType.INVALID_REQUEST);
    assertThat(probe(files(outside.toString()), "list", ".").error().errorType())
        .isIn(ErrorType.PERMISSION_DENIED, ErrorType.INVALID_REQUEST);
  }

  @Test
  void onlyAllowlistedVariablesAreVisibleWithTheHostsValue() {
    var options = TaskOptions.builder().envVariables(List.of("API_KEY")).build();
    assertThat(probe(options, "env", "API_KEY").result().get("data").asText()).isEqualTo("k-123");
    assertThat(probe(options, "env", "HOME_SECRET").result().get("ok").asBoolean()).isFalse();
  }

  @Test
  void endlessOutputIsBoundedAndEndsByTimeout() {
    var options = TaskOptions.builder().timeout(java.time.Duration.ofMillis(500)).build();
    ResultEnvelope envelope = probe(options, "spew", "0", "err");
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat(envelope.logs().length())
        .isLessThanOrEqualTo(SandboxConfig.defaults().maxStderrBytes());
  }
}
