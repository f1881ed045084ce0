package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code capsule prepare LANGUAGE --cache-dir DIR}: prepares into a fresh cache directory, says
 * "already prepared" the second time, and a task then runs from that cache without preparing
 * anything again (no new cache file, no preparation line on stderr). The JavaScript case runs in
 * the default suite; the Python one makes a CPython snapshot (minutes of CPU) and is tagged slow.
 */
class PrepareCommandTest {
  private static final Path EXAMPLES = Path.of("..", "examples");

  /** What the sandbox prints on stderr while it prepares something; none of it may reappear. */
  private static final List<String> PREPARING =
      List.of("fetching", "compiled in", "snapshot made", "preparing", "asyncify", "probe");

  @TempDir Path tmp;

  @Test
  void javascriptIsPreparedOnceAndTheFirstTaskUsesIt() throws IOException {
    preparedOnceThenRunWithoutPreparing("javascript", "javascript/hello.js");
  }

  @Tag("slow")
  @Test
  void pythonIsPreparedOnceAndTheFirstTaskUsesIt() throws IOException {
    preparedOnceThenRunWithoutPreparing("python", "python/hello.py");
  }

  @Test
  void anUnknownLanguageIsAUsageError() {
    CliRun run = CliRun.of("prepare", "cobol", "--cache-dir", tmp.toString());
    assertThat(run.exitCode()).isEqualTo(Main.USAGE);
    assertThat(run.err()).contains("unknown language 'cobol' (expected python or javascript)");
    assertThat(tmp).isEmptyDirectory();
  }

  @Test
  void aCacheDirectoryThatCannotHoldTheInterpreterFailsWithTheReason() throws IOException {
    Path notADirectory = Files.writeString(tmp.resolve("cache"), "a file, not a directory");
    CliRun run = CliRun.of("prepare", "javascript", "--cache-dir", notADirectory.toString());
    assertThat(run.exitCode()).isEqualTo(Main.TASK_FAILED);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().strip().lines()).hasSize(1);
    assertThat(run.err()).startsWith("capsule: preparation failed: ").contains("quickjs-wasi");
  }

  private void preparedOnceThenRunWithoutPreparing(String language, String example)
      throws IOException {
    Path cache = tmp.resolve("cache");
    CliRun first = CliRun.of("prepare", language, "--cache-dir", cache.toString());
    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(first.out()).startsWith(language + ": prepared in ").contains(cache.toString());

    CliRun again = CliRun.of("prepare", language, "--cache-dir", cache.toString());
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.out()).startsWith(language + ": already prepared (cache " + cache);

    Set<Path> prepared = files(cache);
    Captured task =
        withCacheDir(cache, () -> CliRun.of("run", EXAMPLES.resolve(example).toString(), "--json"));
    assertThat(task.run().exitCode()).as(task.stderr()).isZero();
    JsonNode envelope = CapsuleJson.readTree(task.run().out());
    assertThat(envelope.at("/result").asText()).isEqualTo("Hello from Capsule!");
    assertThat(files(cache)).as("files the task added to the cache").isEqualTo(prepared);
    for (String line : PREPARING) {
      assertThat(task.stderr()).as("the task prepared nothing").doesNotContain(line);
    }
  }

  private static Set<Path> files(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(Files::isRegularFile).map(dir::relativize).collect(Collectors.toSet());
    }
  }

  private record Captured(CliRun run, String stderr) {}

  /** Runs {@code work} with the default cache directory at {@code cache}, capturing stderr. */
  private static Captured withCacheDir(Path cache, Supplier<CliRun> work) {
    String before = System.getProperty("capsule.cache.dir");
    PrintStream err = System.err;
    var captured = new ByteArrayOutputStream();
    System.setProperty("capsule.cache.dir", cache.toString());
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      CliRun run = work.get();
      return new Captured(run, captured.toString(StandardCharsets.UTF_8) + run.err());
    } finally {
      System.setErr(err);
      if (before == null) {
        System.clearProperty("capsule.cache.dir");
      } else {
        System.setProperty("capsule.cache.dir", before);
      }
    }
  }
}
