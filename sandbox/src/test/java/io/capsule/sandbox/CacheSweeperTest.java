package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.sandbox.internal.InstrumentedCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheSweeperTest {
  @TempDir Path cache;

  private Path file(String relative, int bytes, Duration age) throws IOException {
    Path p = cache.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.write(p, new byte[bytes]);
    Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(age)));
    return p;
  }

  @Test
  void entriesUnusedForLongerThanTheLimitGoAndEmptiedFoldersWithThem() throws IOException {
    Path oldSnapshot = file("snapshots/cpython-old.snap", 1000, Duration.ofDays(40));
    Path newSnapshot = file("snapshots/cpython-new.snap", 10, Duration.ofDays(2));
    Path oldBuild = file("instrumented/aaaa/x.wasm", 500, Duration.ofDays(31));
    Path oldCompiled = file("compiled/chicory-0.9/y.jar", 24, Duration.ofDays(90));
    Path tool = file("tools/binaryen.cjs", 10, Duration.ofDays(400));

    CacheSweeper.Swept swept = CacheSweeper.sweep(cache, Duration.ofDays(30));

    assertThat(swept).isEqualTo(new CacheSweeper.Swept(3, 1524));
    assertThat(oldSnapshot).doesNotExist();
    assertThat(oldBuild.getParent()).as("emptied folder").doesNotExist();
    assertThat(oldCompiled.getParent()).doesNotExist();
    assertThat(newSnapshot).exists();
    assertThat(cache.resolve("instrumented")).as("the cache folders themselves stay").exists();
    assertThat(tool).as("tools are not swept").exists();
  }

  @Test
  void readingAnEntryMarksItUsedSoASweepKeepsIt() throws IOException {
    InstrumentedCache instrumented = InstrumentedCache.under(cache, CacheSweeperTest.class);
    instrumented.put("abc", new byte[] {1, 2, 3});
    Path entry;
    try (var files = Files.walk(cache.resolve("instrumented"))) {
      entry = files.filter(Files::isRegularFile).findFirst().orElseThrow();
    }
    Files.setLastModifiedTime(entry, FileTime.from(Instant.now().minus(Duration.ofDays(60))));

    assertThat(instrumented.get("abc")).containsExactly(1, 2, 3);
    CacheSweeper.sweep(cache, Duration.ofDays(30));

    assertThat(entry).exists();
    assertThat(instrumented.get("abc")).containsExactly(1, 2, 3);
  }

  @Test
  void aMissingCacheDirectoryIsNothingToSweep() {
    assertThat(CacheSweeper.sweep(cache.resolve("nowhere"), Duration.ZERO))
        .isEqualTo(new CacheSweeper.Swept(0, 0));
  }
}
