package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.sandbox.testing.PlantedJar;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code capsule exec} trusts an artifact's compiled classes only when this installation signed
 * them: classes planted in an artifact, or a forged signature, never run as host code.
 */
class BuildExecTrustTest {
  private static final Path HELLO = Path.of("..", "examples", "hello.wat");

  @TempDir Path tmp;

  private Path build() {
    Path artifact = tmp.resolve("hello.capsule");
    CliRun build = CliRun.of("build", HELLO.toString(), "-o", artifact.toString());
    assertThat(build.exitCode()).as(build.err()).isZero();
    return artifact;
  }

  private static void assertRunsHello(Path artifact) {
    CliRun exec = CliRun.of("exec", artifact.toString(), "--json");
    assertThat(exec.exitCode()).as(exec.err()).isZero();
    JsonNode envelope = CapsuleJson.readTree(exec.out());
    assertThat(envelope.at("/result/hello").asText()).isEqualTo("world");
  }

  @Test
  void execNeverLoadsClassesPlantedInALocallySignedArtifact() throws Exception {
    Path artifact = build();
    Path marker = tmp.resolve("host-code-ran");
    PlantedJar.plantInArtifact(artifact, marker);

    assertRunsHello(artifact);
    assertThat(marker).as("the planted static initialiser ran").doesNotExist();
  }

  @Test
  void execOfAnArtifactWithAForgedSignatureRunsItsModuleOnly() throws Exception {
    Path artifact = build();
    Path marker = tmp.resolve("host-code-ran");
    PlantedJar.plantInArtifact(artifact, marker);
    PlantedJar.replaceEntry(
        artifact,
        "task.json",
        json -> {
          var manifest =
              (com.fasterxml.jackson.databind.node.ObjectNode)
                  CapsuleJson.readTree(new String(json, StandardCharsets.UTF_8));
          manifest.put("signature", "00".repeat(32));
          return CapsuleJson.write(manifest).getBytes(StandardCharsets.UTF_8);
        });

    assertRunsHello(artifact);
    assertThat(marker).doesNotExist();
  }
}
