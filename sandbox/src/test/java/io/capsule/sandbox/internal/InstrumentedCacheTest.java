package io.capsule.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstrumentedCacheTest {
  @TempDir Path root;

  @Test
  void storesAndReturnsBytesByModuleHash() {
    InstrumentedCache cache = InstrumentedCache.under(root, FuelInstrumenter.class);
    cache.put("abc", new byte[] {1, 2, 3});

    assertThat(cache.get("abc")).containsExactly(1, 2, 3);
    assertThat(cache.get("other")).isNull();
  }

  @Test
  void anEntryMovedToAnotherModulesNameOrWrittenByHandIsAMiss() throws Exception {
    InstrumentedCache cache = InstrumentedCache.under(root, FuelInstrumenter.class);
    cache.put("metered", new byte[] {1, 2, 3});
    Path folder;
    try (var files = Files.walk(root.resolve("instrumented"))) {
      folder = files.filter(p -> p.endsWith("metered.wasm")).findFirst().orElseThrow().getParent();
    }
    Files.copy(folder.resolve("metered.wasm"), folder.resolve("other.wasm"));
    Files.write(folder.resolve("planted.wasm"), new byte[40]);

    assertThat(cache.get("other")).isNull();
    assertThat(cache.get("planted")).isNull();
    assertThat(folder.resolve("planted.wasm")).as("deleted").doesNotExist();
    assertThat(cache.get("metered")).containsExactly(1, 2, 3);
  }

  @Test
  void theFolderFollowsTheInstrumentersClasses() throws Exception {
    String meter = InstrumentedCache.fingerprint(FuelInstrumenter.class);

    assertThat(InstrumentedCache.fingerprint(FuelInstrumenter.class)).isEqualTo(meter);
    assertThat(meter).hasSize(64);
    InstrumentedCache.under(root, FuelInstrumenter.class).put("m", new byte[] {9});
    try (var dirs = Files.list(root.resolve("instrumented"))) {
      assertThat(dirs.map(p -> p.getFileName().toString()))
          .containsExactly("signed-" + meter.substring(0, 16));
    }
  }
}
