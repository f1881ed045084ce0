package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.testing.Corpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A new sandbox (a new process) takes the instrumented module from disk instead of rewriting. */
class InstrumentedModuleCacheTest {
  @TempDir Path cache;

  private ResultEnvelope runHello() {
    try (Sandbox sandbox = Sandbox.create(SandboxConfig.builder().withCacheDir(cache).build())) {
      PreparedModule module = sandbox.prepare(Corpus.wat("hello"));
      return sandbox.run(module, TaskCall.of(List.of()));
    }
  }

  private List<Path> entries() throws IOException {
    try (var files = Files.walk(cache.resolve("instrumented"))) {
      return files.filter(p -> p.toString().endsWith(".wasm")).toList();
    }
  }

  @Test
  void theFirstPreparationStoresTheRewriteAndADamagedEntryIsRewritten() throws IOException {
    ResultEnvelope first = runHello();
    List<Path> stored = entries();
    assertThat(stored).hasSize(1);
    byte[] rewrite = Files.readAllBytes(stored.get(0));
    assertThat(new String(rewrite, java.nio.charset.StandardCharsets.ISO_8859_1))
        .contains("capsule_fuel");

    Files.write(stored.get(0), new byte[] {0, 'a', 's', 'm', 9, 9});
    ResultEnvelope afterDamage = runHello();

    assertThat(first.success()).as("%s", first.error()).isTrue();
    assertThat(afterDamage.result()).isEqualTo(first.result());
    assertThat(Files.readAllBytes(stored.get(0))).isEqualTo(rewrite);
  }
}
