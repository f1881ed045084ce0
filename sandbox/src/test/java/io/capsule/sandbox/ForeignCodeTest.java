package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.Compute;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import io.capsule.sandbox.testing.PlantedJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Files an attacker can put in the cache directory (a jar whose static initialiser runs on load,
 * the unmetered module, links) are never loaded: the module is compiled or instrumented again.
 */
class ForeignCodeTest {
  @TempDir Path tmp;

  private Path cache() {
    return tmp.resolve("cache");
  }

  private Path marker() {
    return tmp.resolve("host-code-ran");
  }

  private Sandbox sandbox(ExecutionMode mode) {
    return Sandbox.create(
        SandboxConfig.builder().withCacheDir(cache()).withExecutionMode(mode).build());
  }

  /** Prepares hello in a fresh sandbox on the cache; its compiled classes. */
  private byte[] compileHello() {
    try (Sandbox first = sandbox(ExecutionMode.COMPILED)) {
      return first.prepare(Corpus.wat("hello")).compiledClasses();
    }
  }

  private List<Path> entries(String folder, String suffix) throws IOException {
    try (var files = Files.walk(cache().resolve(folder))) {
      return files.filter(p -> p.toString().endsWith(suffix)).toList();
    }
  }

  private Path onlyEntry(String folder, String suffix) throws IOException {
    List<Path> found = entries(folder, suffix);
    assertThat(found).hasSize(1);
    return found.get(0);
  }

  private PreparedModule runHelloExpectingWorld() {
    try (Sandbox sandbox = sandbox(ExecutionMode.COMPILED)) {
      PreparedModule module = sandbox.prepare(Corpus.wat("hello"));
      ResultEnvelope envelope = sandbox.run(module, TaskCall.of(List.of()));
      assertThat(envelope.success()).as("%s", envelope.error()).isTrue();
      assertThat(envelope.result().get("hello").asText()).isEqualTo("world");
      return module;
    }
  }

  @Test
  void aJarPlantedInTheCompileCacheIsNeverLoaded() throws IOException {
    byte[] classes = compileHello();
    Path entry = onlyEntry("compiled", ".jar");
    Files.write(entry, PlantedJar.writingMarker(classes, marker()));

    PreparedModule module = runHelloExpectingWorld();

    assertThat(marker()).as("the planted static initialiser ran").doesNotExist();
    assertThat(module.fromCache()).isFalse();
    assertThat(Files.readAllBytes(onlyEntry("compiled", ".jar")))
        .as("the entry was compiled and stored again")
        .isNotEqualTo(PlantedJar.writingMarker(classes, marker()));
  }

  @Test
  void anEntryCopiedFromAnotherModulesKeyIsRefused() throws IOException {
    compileHello();
    Path helloEntry = onlyEntry("compiled", ".jar");
    try (Sandbox sandbox = sandbox(ExecutionMode.COMPILED)) {
      sandbox.prepare(Corpus.wat("exit_3"));
    }
    Path other =
        entries("compiled", ".jar").stream().filter(p -> !p.equals(helloEntry)).findFirst().get();
    Files.copy(helloEntry, other, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    try (Sandbox sandbox = sandbox(ExecutionMode.COMPILED)) {
      PreparedModule module = sandbox.prepare(Corpus.wat("exit_3"));
      assertThat(module.fromCache()).as("hello's signed classes under exit_3's key").isFalse();
      assertThat(sandbox.run(module, TaskCall.of(List.of())).error().message()).contains("3");
    }
  }

  @Test
  void aSignedEntryReachedThroughALinkIsIgnoredAndReplaced() throws IOException {
    compileHello();
    Path entry = onlyEntry("compiled", ".jar");
    Path elsewhere = Files.move(entry, tmp.resolve("elsewhere.jar"));
    Files.createSymbolicLink(entry, elsewhere);

    PreparedModule module = runHelloExpectingWorld();

    assertThat(module.fromCache()).as("the link was not followed").isFalse();
    assertThat(Files.isSymbolicLink(entry)).isFalse();
    assertThat(entry).isRegularFile();
    assertThat(runHelloExpectingWorld().fromCache()).isTrue();
  }

  /** LOW in compiled mode; in the interpreter (about 100 times slower) a smaller budget. */
  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void theUnmeteredModulePlantedAsTheInstrumentedEntryIsInstrumentedAgain(ExecutionMode mode)
      throws IOException {
    byte[] spin = Corpus.wat("spin_br_if");
    var options =
        TaskOptions.builder().compute(Compute.parse("LOW")).timeout(Duration.ofSeconds(20)).build();
    try (Sandbox first = sandbox(mode)) {
      first.prepare(spin);
    }
    Files.write(onlyEntry("instrumented", ".wasm"), spin);

    try (Sandbox sandbox = sandbox(mode)) {
      ResultEnvelope envelope =
          sandbox.run(sandbox.prepare(spin), new TaskCall(options, List.of()));

      assertThat(envelope.error().errorType()).isEqualTo(ErrorType.FUEL_EXHAUSTED);
    }
    assertThat(new String(Files.readAllBytes(onlyEntry("instrumented", ".wasm")), "ISO-8859-1"))
        .as("the metered module is stored again")
        .contains("capsule_fuel");
  }

  @Test
  void aKeyFileOthersCanReadIsRefusedAndNothingInTheCacheIsUsed() throws IOException {
    byte[] classes = compileHello();
    Path key = cache().resolve("installation.key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    Files.write(onlyEntry("compiled", ".jar"), PlantedJar.writingMarker(classes, marker()));

    assertThat(runHelloExpectingWorld().fromCache()).isFalse();
    assertThat(runHelloExpectingWorld().fromCache()).as("nothing is cached either").isFalse();
    assertThat(marker()).doesNotExist();
  }

  @Test
  void aCacheFolderOthersCanWriteIsRefused() throws IOException {
    compileHello();
    Files.setPosixFilePermissions(
        onlyEntry("compiled", ".jar").getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));

    assertThat(runHelloExpectingWorld().fromCache()).isFalse();
  }
}
