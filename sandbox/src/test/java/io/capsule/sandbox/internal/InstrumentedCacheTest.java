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
  void theFolderFollowsTheInstrumentersClasses() throws Exception {
    String meter = InstrumentedCache.fingerprint(FuelInstrumenter.class);

    assertThat(InstrumentedCache.fingerprint(FuelInstrumenter.class)).isEqualTo(meter);
    assertThat(meter).hasSize(64);
    InstrumentedCache.under(root, FuelInstrumenter.class).put("m", new byte[] {9});
    try (var dirs = Files.list(root.resolve("instrumented"))) {
      assertThat(dirs.map(p -> p.getFileName().toString())).containsExactly(meter.substring(0, 16));
    }
  }
}
