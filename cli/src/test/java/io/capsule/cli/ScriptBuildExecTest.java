package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * capsule-run's production path for scripts — {@code capsule build FILE}, then {@code capsule exec}
 * of what it wrote — gives the envelope {@code capsule run FILE} gives; a file with one task and no
 * {@code main} runs that task; several without {@code main} fail naming them; {@code
 * capsule.toml}'s entrypoint is the file when none is given. On the real interpreters in the
 * build's shared test cache (never the user's).
 */
class ScriptBuildExecTest {
  private static final Path EXAMPLES = Path.of("..", "examples");
  private static final String CACHE_PROPERTY = "capsule.cache.dir";
  private static String moduleCache;

  @TempDir Path tmp;

  @BeforeAll
  static void useTheSharedTestCache() {
    moduleCache = System.getProperty(CACHE_PROPERTY);
    System.setProperty(
        CACHE_PROPERTY,
        System.getProperty("capsule.test.shared.cache", "../target/shared-test-cache"));
  }

  @AfterAll
  static void restoreTheModuleCache() {
    if (moduleCache == null) {
      System.clearProperty(CACHE_PROPERTY);
    } else {
      System.setProperty(CACHE_PROPERTY, moduleCache);
    }
  }

  /** The CLI run as from {@code dir}: relative files and capsule.toml are found there. */
  private static CliRun inDir(Path dir, String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    var cmd = Main.commandLine(LocalContext.forCaller(dir, Map.of(), null));
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }

  private static JsonNode envelope(CliRun run) {
    assertThat(run.out().lines()).as(run.err()).hasSize(1);
    return CapsuleJson.readTree(run.out());
  }

  /** What must be equal between two runs of the same task: all but the timings and fuel. */
  private static void assertSameOutcome(JsonNode exec, JsonNode run) {
    assertThat(exec.get("success")).isEqualTo(run.get("success"));
    assertThat(exec.get("result")).isEqualTo(run.get("result"));
    assertThat(exec.get("error")).isEqualTo(run.get("error"));
    assertThat(exec.at("/execution/task_name")).isEqualTo(run.at("/execution/task_name"));
  }

  private static long fuel(JsonNode envelope) {
    return envelope.at("/execution/fuel_consumed").asLong();
  }

  private JsonNode buildThenExec(Path file, String... args) {
    Path artifact = tmp.resolve("built.capsule");
    CliRun build = CliRun.of("build", file.toString(), "-o", artifact.toString());
    assertThat(build.exitCode()).as(build.err()).isZero();
    assertThat(build.out().strip()).isEqualTo(artifact.toString());
    String[] exec = new String[args.length + 4];
    exec[0] = "exec";
    exec[1] = artifact.toString();
    exec[2] = "--json";
    exec[3] = "--";
    System.arraycopy(args, 0, exec, 4, args.length);
    CliRun run = CliRun.of(exec);
    assertThat(run.exitCode()).as(run.err()).isZero();
    return envelope(run);
  }

  private static JsonNode run(Path file, String... args) {
    String[] all = new String[args.length + 4];
    all[0] = "run";
    all[1] = file.toString();
    all[2] = "--json";
    all[3] = "--";
    System.arraycopy(args, 0, all, 4, args.length);
    CliRun run = CliRun.of(all);
    assertThat(run.exitCode()).as(run.err()).isZero();
    return envelope(run);
  }

  @Test
  void aBuiltTypeScriptTaskExecsToTheEnvelopeItsScriptRunsTo() {
    Path hello = EXAMPLES.resolve("typescript/hello.ts");

    JsonNode exec = buildThenExec(hello);

    assertThat(exec.at("/result").asText()).isEqualTo("Hello from Capsule!");
    JsonNode run = run(hello);
    assertSameOutcome(exec, run);
    assertThat(fuel(exec)).isEqualTo(fuel(run));
  }

  @Test
  void aBuiltPythonTaskWithNoMainExecsToTheEnvelopeItsScriptRunsTo() throws IOException {
    Path file =
        Files.writeString(
            tmp.resolve("analyze.py"),
            """
            from capsule import task

            @task(name="analyze_data", compute="LOW", ram="64MB")
            def analyze_data(dataset: str) -> dict:
                values = [int(v) for v in dataset.split(",")]
                return {"processed": len(values), "total": sum(values)}
            """);

    JsonNode exec = buildThenExec(file, "1,2,3,4,5");

    assertThat(exec.at("/result").toString()).isEqualTo("{\"processed\":5,\"total\":15}");
    assertThat(exec.at("/execution/task_name").asText()).isEqualTo("analyze_data");
    JsonNode run = run(file, "1,2,3,4,5");
    assertSameOutcome(exec, run);
    // exec unmarshals the code the build compiled, as a warm daemon's second run does; the first
    // run compiles it, and their code objects differ in ways the task's fuel sees a little
    assertThat(fuel(exec)).isCloseTo(fuel(run), org.assertj.core.data.Percentage.withPercentage(2));
  }

  @Test
  void aPythonFileThatDoesNotCompileDoesNotBuild() throws IOException {
    Path file =
        Files.writeString(
            tmp.resolve("broken.py"),
            "from capsule import task\n\n@task(name=\"main\")\ndef main(:\n    return 1\n");

    CliRun build = CliRun.of("build", file.toString(), "-o", tmp.resolve("b.capsule").toString());

    assertThat(build.exitCode()).isEqualTo(Main.TASK_FAILED);
    assertThat(build.err()).contains("broken.py does not compile").contains("SyntaxError");
    assertThat(tmp.resolve("b.capsule")).doesNotExist();
  }

  @Test
  void aJavaScriptFileWhoseOnlyTaskIsNotMainRunsThatTask() throws IOException {
    Path file =
        Files.writeString(
            tmp.resolve("analyze.js"),
            """
            import { task } from "@capsule-run/sdk";

            export const analyzeData = task({ name: "analyze_data", compute: "LOW" },
              (dataset) => ({ processed: dataset.split(",").length }));
            """);

    JsonNode envelope = run(file, "a,b,c");

    assertThat(envelope.at("/result/processed").asInt()).isEqualTo(3);
    assertThat(envelope.at("/execution/task_name").asText()).isEqualTo("analyze_data");
  }

  @Test
  void severalTasksAndNoMainFailWithAnEnvelopeNamingThem() throws IOException {
    Path file =
        Files.writeString(
            tmp.resolve("two.js"),
            """
            import { task } from "@capsule-run/sdk";

            export const fetchData = task({ name: "fetch_data" }, () => 1);
            export const analyzeData = task({ name: "analyze_data" }, () => 2);
            """);

    CliRun run = CliRun.of("run", file.toString(), "--json");

    assertThat(run.exitCode()).isEqualTo(Main.TASK_FAILED);
    JsonNode envelope = envelope(run);
    assertThat(envelope.at("/error/error_type").asText()).isEqualTo("invalid_request");
    assertThat(envelope.at("/error/message").asText())
        .contains("no task named 'main'")
        .contains("analyze_data, fetch_data")
        .contains("--task");
    CliRun named = CliRun.of("run", file.toString(), "--json", "--task", "fetch_data");
    assertThat(envelope(named).at("/result").asInt()).isEqualTo(1);
  }

  @Test
  void withNoFileRunAndBuildTakeTheEntrypointOfCapsuleToml() throws IOException {
    Files.createDirectories(tmp.resolve("tasks"));
    Files.copy(EXAMPLES.resolve("javascript/hello.js"), tmp.resolve("tasks/hello.js"));
    Files.writeString(
        tmp.resolve("capsule.toml"),
        """
        [workflow]
        name = "demo"
        entrypoint = "tasks/hello.js"
        """);

    CliRun run = inDir(tmp, "run", "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(envelope(run).at("/result").asText()).isEqualTo("Hello from Capsule!");

    CliRun build = inDir(tmp, "build");
    assertThat(build.exitCode()).as(build.err()).isZero();
    assertThat(tmp.resolve("tasks/hello.capsule")).isRegularFile();
    CliRun exec = inDir(tmp, "exec", "tasks/hello.capsule", "--json");
    assertThat(envelope(exec).at("/result").asText()).isEqualTo("Hello from Capsule!");
  }

  @Test
  void withNoFileAndNoEntrypointRunIsAUsageError() {
    CliRun run = inDir(tmp, "run", "--json");

    assertThat(run.exitCode()).isEqualTo(Main.USAGE);
    assertThat(run.err()).contains("Missing required parameter: 'FILE'").contains("entrypoint");
  }

  @Test
  void anArtifactIsNeverWrittenUnderAWebAssemblyName() {
    Path out = tmp.resolve("hello.wasm");
    CliRun build =
        CliRun.of(
            "build",
            EXAMPLES.resolve("javascript/hello.js").toString(),
            "--export",
            "-o",
            out.toString());

    assertThat(build.exitCode()).isEqualTo(Main.USAGE);
    assertThat(build.err()).contains("not a WebAssembly module");
    assertThat(out).doesNotExist();
  }

  @Test
  void anExportedScriptExecsLikeItsScript() {
    Path out = tmp.resolve("hello.capsule");
    CliRun build =
        CliRun.of(
            "build",
            EXAMPLES.resolve("javascript/hello.js").toString(),
            "--export",
            "-o",
            out.toString());
    assertThat(build.exitCode()).as(build.err()).isZero();

    CliRun exec = CliRun.of("exec", out.toString(), "--json");

    assertThat(exec.exitCode()).as(exec.err()).isZero();
    assertThat(envelope(exec).at("/result").asText()).isEqualTo("Hello from Capsule!");
  }

  @Test
  void anAlteredBuiltScriptIsAnInvalidModuleEnvelope() throws IOException {
    Path out = tmp.resolve("hello.capsule");
    CliRun build =
        CliRun.of(
            "build", EXAMPLES.resolve("javascript/hello.js").toString(), "-o", out.toString());
    assertThat(build.exitCode()).as(build.err()).isZero();
    Path altered = tmp.resolve("altered.capsule");
    try (var in = new java.util.zip.ZipInputStream(Files.newInputStream(out));
        var zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(altered))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        byte[] bytes = in.readAllBytes();
        zip.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
        zip.write(e.getName().startsWith("script/") ? "globalThis.stolen = 1;".getBytes() : bytes);
        zip.closeEntry();
      }
    }

    CliRun exec = CliRun.of("exec", altered.toString(), "--json");

    assertThat(exec.exitCode()).isEqualTo(Main.TASK_FAILED);
    JsonNode envelope = envelope(exec);
    assertThat(envelope.at("/error/error_type").asText()).isEqualTo("invalid_module");
    assertThat(envelope.at("/error/message").asText()).contains("does not match its SHA-256");
  }

  @Test
  void buildHelpNamesTheScriptTypesAndWhatExportWrites() {
    CliRun help = CliRun.of("build", "--help");

    assertThat(help.out()).contains(".py, .js, .mjs, .ts, .mts").contains("--export");
    assertThat(help.out()).contains("not a .wasm");
    for (String command : new String[] {"run", "exec", "submit"}) {
      assertThat(CliRun.of(command, "--help").out().replaceAll("\\s+", " "))
          .as(command)
          .contains(".capsule")
          .contains(".py, .js, .mjs, .ts, .mts");
    }
  }
}
