package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.FileGrant;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Sandbox#forCaller}: one long-lived sandbox serving callers with their own files roots and
 * environments (as the local daemon does), on the real file-probe module.
 */
class SandboxForCallerTest {
  @TempDir Path alice;
  @TempDir Path bob;
  private Sandbox shared;

  @BeforeEach
  void setUp() throws IOException {
    Files.createDirectories(alice.resolve("data"));
    Files.writeString(alice.resolve("data/in.txt"), "alice's file");
    Files.createDirectories(bob.resolve("data"));
    Files.writeString(bob.resolve("data/in.txt"), "bob's file");
    shared =
        Sandbox.create(SandboxConfig.builder().withEnvironment(Map.of("WHO", "daemon")).build());
  }

  @AfterEach
  void tearDown() {
    shared.close();
  }

  private static ResultEnvelope probe(Sandbox sandbox, TaskOptions options, String... args) {
    List<JsonNode> json =
        java.util.Arrays.stream(args).map(a -> (JsonNode) TextNode.valueOf(a)).toList();
    return sandbox.run(
        sandbox.prepare(Corpus.resource("wasi/fileprobe.wasm")), new TaskCall(options, json));
  }

  @Test
  void eachCallerSeesItsOwnFilesAndEnvironmentAndSharesPreparedModules() {
    Sandbox a = shared.forCaller(alice, Map.of("WHO", "alice"));
    Sandbox b = shared.forCaller(bob, Map.of("WHO", "bob"));
    TaskOptions files =
        TaskOptions.builder().allowedFiles(List.of(FileGrant.parse("data:ro"))).build();
    TaskOptions env = TaskOptions.builder().envVariables(List.of("WHO")).build();

    assertThat(probe(a, files, "read", "data/in.txt").result().get("data").asText())
        .isEqualTo("alice's file");
    assertThat(probe(b, files, "read", "data/in.txt").result().get("data").asText())
        .isEqualTo("bob's file");
    assertThat(probe(a, env, "env", "WHO").result().get("data").asText()).isEqualTo("alice");
    assertThat(probe(b, env, "env", "WHO").result().get("data").asText()).isEqualTo("bob");
    assertThat(probe(shared, env, "env", "WHO").result().get("data").asText()).isEqualTo("daemon");

    byte[] wasm = Corpus.resource("wasi/fileprobe.wasm");
    assertThat(a.prepare(wasm)).isSameAs(b.prepare(wasm)).isSameAs(shared.prepare(wasm));
  }

  @Test
  void closingACallersViewLeavesTheSharedSandboxRunning() {
    Sandbox a = shared.forCaller(alice, Map.of());
    a.close();
    assertThat(probe(a, TaskOptions.NONE, "env", "WHO").success()).isTrue();
    assertThat(probe(shared, TaskOptions.NONE, "env", "WHO").success()).isTrue();
  }

  @Test
  void aFilesRootThatIsNotADirectoryIsRefused() {
    assertThatThrownBy(() -> shared.forCaller(alice.resolve("missing"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a directory");
  }
}
