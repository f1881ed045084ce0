package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.Compute;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskArtifactTest {
  @TempDir Path tmp;

  private Sandbox sandbox(Path cacheDir) {
    return Sandbox.create(SandboxConfig.builder().withCacheDir(cacheDir).build());
  }

  @Test
  void anArtifactCarriesCompiledClassesSoAFreshSandboxDoesNotCompile() throws Exception {
    Path file = tmp.resolve("hello.capsule");
    var options = TaskOptions.builder().compute(Compute.parse("LOW")).build();
    try (Sandbox builder = sandbox(tmp.resolve("cache-a"))) {
      PreparedModule module = builder.prepare(Corpus.wat("hello"));
      assertThat(module.fromCache()).isFalse();
      TaskArtifact.of(module, options).write(file);
    }
    try (Sandbox fresh = sandbox(null)) {
      TaskFile task = TaskFile.read(file);
      assertThat(task.bakedOptions()).isEqualTo(options);
      PreparedModule module = fresh.prepare(task);
      assertThat(module.fromCache()).isTrue();
      var envelope = fresh.run(module, new TaskCall(task.bakedOptions(), List.of()));
      assertThat(envelope.result().get("hello").asText()).isEqualTo("world");
    }
  }

  @Test
  void theDiskCacheSparesASecondSandboxTheCompile() {
    Path cache = tmp.resolve("shared-cache");
    try (Sandbox first = sandbox(cache)) {
      assertThat(first.prepare(Corpus.wat("hello")).fromCache()).isFalse();
    }
    try (Sandbox second = sandbox(cache)) {
      assertThat(second.prepare(Corpus.wat("hello")).fromCache()).isTrue();
    }
  }
}
