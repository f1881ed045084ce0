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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged CLI in a real process, started the way {@code ./capsule} starts it, in a working
 * directory of its own: stdout purity, exit codes, {@code .env}, files relative to the working
 * directory.
 */
class CliProcessIT {
  private static final Path MODULE_DIR = Path.of("").toAbsolutePath();
  private static final Path FILEPROBE =
      MODULE_DIR.resolve("../sandbox/src/test/resources/corpus/wasi/fileprobe.wasm").normalize();

  @TempDir Path work;

  record Result(int exit, String out, String err) {}

  private Result capsule(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(
        MODULE_DIR.resolve("target/capsule-cli.jar")
            + File.pathSeparator
            + MODULE_DIR.resolve("target/lib/*"));
    command.add("-Dcapsule.cache.dir=" + MODULE_DIR.resolve("target/capsule-cache"));
    command.add("io.capsule.cli.Main");
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command)
            .directory(work.toFile())
            .redirectOutput(work.resolve("stdout").toFile())
            .redirectError(work.resolve("stderr").toFile())
            .start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Result(
        process.exitValue(),
        Files.readString(work.resolve("stdout"), StandardCharsets.UTF_8),
        Files.readString(work.resolve("stderr"), StandardCharsets.UTF_8));
  }

  @Test
  void jsonStdoutIsExactlyOneEnvelopeAndDotEnvFeedsTheAllowlist() throws Exception {
    Files.writeString(
        work.resolve(".env"), "# local secrets\nexport API_KEY=\"from-dotenv\"\nOTHER=hidden\n");
    Result run =
        capsule("run", FILEPROBE.toString(), "--env", "API_KEY", "--json", "--", "env", "API_KEY");
    assertThat(run.exit()).isZero();
    assertThat(run.out().lines()).hasSize(1);
    JsonNode envelope = CapsuleJson.readTree(run.out());
    assertThat(envelope.at("/result/data").asText()).isEqualTo("from-dotenv");

    Result hidden =
        capsule("run", FILEPROBE.toString(), "--env", "API_KEY", "--json", "--", "env", "OTHER");
    assertThat(CapsuleJson.readTree(hidden.out()).at("/result/ok").asBoolean()).isFalse();
  }

  @Test
  void allowedFilesAreRelativeToTheWorkingDirectory() throws Exception {
    Files.createDirectories(work.resolve("data"));
    Files.writeString(work.resolve("data/in.txt"), "hello file");
    Result read =
        capsule(
            "run",
            FILEPROBE.toString(),
            "--allow-file",
            "data:ro",
            "--json",
            "--",
            "read",
            "data/in.txt");
    assertThat(CapsuleJson.readTree(read.out()).at("/result/data").asText())
        .isEqualTo("hello file");

    Result write =
        capsule(
            "run",
            FILEPROBE.toString(),
            "--allow-file",
            "data:ro",
            "--json",
            "--",
            "write",
            "data/in.txt",
            "x");
    assertThat(CapsuleJson.readTree(write.out()).at("/result/errno").asInt()).isEqualTo(69);

    Result mounted =
        capsule(
            "run",
            FILEPROBE.toString(),
            "--mount",
            "data::/input:ro",
            "--json",
            "--",
            "read",
            "/input/in.txt");
    assertThat(CapsuleJson.readTree(mounted.out()).at("/result/data").asText())
        .isEqualTo("hello file");
    assertThat(work.resolve("data/in.txt")).hasContent("hello file");
  }

  @Test
  void unreadableFileExitsTwoWithOneLineAndEmptyStdout() throws Exception {
    Result run = capsule("run", "nope.wasm", "--json");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().strip().lines()).hasSize(1);
  }
}
