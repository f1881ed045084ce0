package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.Compute;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import io.capsule.sandbox.testing.PlantedJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskArtifactTest {
  private static final TaskOptions OPTIONS =
      TaskOptions.builder().compute(Compute.parse("LOW")).build();

  @TempDir Path tmp;

  private Sandbox sandbox(Path cacheDir) {
    return Sandbox.create(SandboxConfig.builder().withCacheDir(cacheDir).build());
  }

  /** {@code capsule build} of hello with the installation whose cache is {@code cacheDir}. */
  private Path build(Path cacheDir) throws IOException {
    Path file = tmp.resolve("hello.capsule");
    try (Sandbox builder = sandbox(cacheDir)) {
      PreparedModule module = builder.prepare(Corpus.wat("hello"));
      TaskArtifact.of(module, OPTIONS).signedBy(cacheDir).write(file);
    }
    return file;
  }

  /** {@code capsule exec}: the artifact's module, prepared and run in a fresh sandbox. */
  private PreparedModule exec(Path file, Path cacheDir) throws IOException {
    try (Sandbox fresh = sandbox(cacheDir)) {
      TaskFile task = TaskFile.read(file);
      assertThat(task.bakedOptions()).isEqualTo(OPTIONS);
      PreparedModule module = fresh.prepare(task);
      var envelope = fresh.run(module, new TaskCall(task.bakedOptions(), List.of()));
      assertThat(envelope.success()).as("%s", envelope.error()).isTrue();
      assertThat(envelope.result().get("hello").asText()).isEqualTo("world");
      return module;
    }
  }

  @Test
  void aLocallyBuiltArtifactRunsOnItsOwnCompiledClasses() throws Exception {
    Path cache = tmp.resolve("cache-a");
    Path file = build(cache);
    deleteTree(cache.resolve("compiled")); // so only the artifact can spare the compile

    assertThat(exec(file, cache).fromCache()).isTrue();
  }

  @Test
  void anArtifactFromAnotherInstallationIsOnlyAModule() throws Exception {
    Path file = build(tmp.resolve("cache-a"));

    assertThat(exec(file, tmp.resolve("cache-b")).fromCache()).isFalse();
    assertThat(exec(file, null).fromCache()).as("no cache directory: no key").isFalse();
  }

  @Test
  void aJarPlantedInALocallySignedArtifactIsNeverLoaded() throws Exception {
    Path cache = tmp.resolve("cache-a");
    Path file = build(cache);
    Path marker = tmp.resolve("host-code-ran");
    PlantedJar.plantInArtifact(file, marker); // its signature kept
    deleteTree(cache.resolve("compiled"));

    assertThat(exec(file, cache).fromCache()).isFalse();
    assertThat(exec(file, null).fromCache()).isFalse();
    assertThat(marker).as("the planted static initialiser ran").doesNotExist();
  }

  @Test
  void anUnsignedArtifactFromAnOlderBuildStillRuns() throws Exception {
    Path file = tmp.resolve("old.capsule");
    try (Sandbox builder = sandbox(tmp.resolve("cache-a"))) {
      TaskArtifact.of(builder.prepare(Corpus.wat("hello")), OPTIONS).write(file);
    }
    assertThat(TaskArtifact.read(file).signature()).isNull();

    assertThat(exec(file, tmp.resolve("cache-b")).fromCache()).isFalse();
  }

  @Test
  void signingWithoutAUsableKeyDropsTheClasses() throws Exception {
    try (Sandbox builder = sandbox(null)) {
      TaskArtifact artifact = TaskArtifact.of(builder.prepare(Corpus.wat("hello")), OPTIONS);
      assertThat(artifact.compiledClasses()).isNotNull();

      TaskArtifact signed = artifact.signedBy(null);

      assertThat(signed.compiledClasses()).isNull();
      assertThat(signed.signature()).isNull();
    }
  }

  @Test
  void anArtifactThatUnpacksPastTheLimitIsRefused() throws Exception {
    Path file = tmp.resolve("bomb.capsule");
    try (var zip = new ZipOutputStream(Files.newOutputStream(file))) {
      zip.putNextEntry(new ZipEntry("compiled.jar"));
      zip.write(new byte[(1 << 20) + 1]);
      zip.closeEntry();
    }
    assertThat(Files.size(file)).isLessThan(10_000);

    assertThat(TaskArtifact.MAX_UNPACKED_BYTES).isEqualTo(256L << 20);
    assertThatThrownBy(() -> TaskArtifact.read(file, 1 << 20))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("unpacks to more than");
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

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
