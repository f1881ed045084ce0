package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.ResultEnvelope;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A wrong guess of the stack at CPython's snapshot point (an SDK changed since {@code
 * cpython-stacks.properties} was written) costs one more round, never a broken snapshot: the run
 * finds the stack is not the one instrumented, the next round instruments the stack it found, and
 * tasks resume from that snapshot.
 */
@Tag("slow") // two rounds of CPython's one-time preparation in a fresh cache: minutes
class PythonSnapshotRoundsTest {
  @TempDir Path cache;
  @TempDir Path files;

  @Test
  void aWrongGuessTakesAnotherRoundAndTheSnapshotResumesTasks() throws Exception {
    Path shared = Path.of(System.getProperty("capsule.test.shared.cache"));
    Path plain = shared.resolve("interpreters").resolve("cpython-3.12.0.wasm");
    Files.createDirectories(cache.resolve("interpreters"));
    if (Files.isRegularFile(plain)) { // else the sandbox fetches it
      Files.copy(plain, cache.resolve("interpreters").resolve(plain.getFileName()));
    }
    var config = SandboxConfig.builder().withCacheDir(cache).withFilesRoot(files).build();
    try (Sandbox sandbox = Sandbox.create(config)) {
      Path hello =
          Files.writeString(
              files.resolve("hello.py"),
              """
              from capsule import task

              @task(name="main", compute="MEDIUM", ram="64MB")
              def main() -> str:
                  return "resumed"
              """);
      byte[] cpython =
          Files.readAllBytes(cache.resolve("interpreters").resolve(plain.getFileName()));
      var progress = new ByteArrayOutputStream();
      ExecutorService threads = Executors.newSingleThreadExecutor();
      try {
        var snapshots =
            new PythonSnapshots(
                new ModulePreparer(config),
                threads,
                cache,
                new PrintStream(progress, true, StandardCharsets.UTF_8),
                key -> Set.of(0)); // only _start: wrong
        assertThat(snapshots.resume(cpython)).isNotNull();
        assertThat(snapshots.failure()).isNull();
      } finally {
        threads.shutdownNow();
      }
      assertThat(progress.toString(StandardCharsets.UTF_8))
          .contains("asyncify (capsule) for the 1 functions expected on the stack")
          .contains("next round: ");

      TaskFile task = TaskFile.read(hello, cache);
      PreparedModule module = sandbox.prepare(task);
      ResultEnvelope envelope =
          sandbox.run(
              module,
              new TaskCall(task.bakedOptions().toBuilder().name("main").build(), List.of()));
      assertThat(envelope.success()).as(envelope.toString()).isTrue();
      assertThat(envelope.result()).hasToString("\"resumed\"");
    }
  }
}
