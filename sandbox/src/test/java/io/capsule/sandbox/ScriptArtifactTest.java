package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.Sha256;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.internal.InstallationKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Built JavaScript tasks ({@link ScriptArtifact}) on the real QuickJS in the shared test cache: a
 * bound artifact runs as its script does, and every way of making it lie (its script, its hashes,
 * its signature, its interpreter, a snapshot the cache no longer holds) is refused as
 * invalid_module before anything runs.
 */
class ScriptArtifactTest {
  private static final String SOURCE =
      """
      import { task } from "@capsule-run/sdk";

      export const add = task({ name: "add", compute: "LOW" }, (a, b) => ({ sum: a + b }));
      """;

  @TempDir Path tmp;
  private ScriptSandbox scripts;

  @BeforeEach
  void open() {
    scripts = new ScriptSandbox(tmp, Map.of());
  }

  @AfterEach
  void close() {
    scripts.close();
  }

  private Sandbox sandbox() {
    return scripts.sandbox();
  }

  private GuestScript script() {
    return GuestScript.of("add.js", SOURCE);
  }

  private Path built() throws IOException {
    GuestScript script = script();
    Path file = tmp.resolve("add.capsule");
    ScriptArtifact.build(sandbox(), script, script.optionsOf(script.entryTask(null))).write(file);
    return file;
  }

  private ResultEnvelope exec(Path file, Sandbox in) throws IOException {
    TaskFile task = TaskFile.read(file, ScriptSandbox.CACHE);
    return in.run(in.prepare(task), new TaskCall(task.bakedOptions(), args()));
  }

  private static List<JsonNode> args() {
    return List.of(IntNode.valueOf(40), IntNode.valueOf(2));
  }

  @Test
  void aBuiltScriptRunsItsOnlyTaskAsTheScriptDoes() throws IOException {
    Path file = built();
    GuestScript script = script();
    ResultEnvelope run =
        sandbox().run(sandbox().prepare(script), new TaskCall(script.optionsOf("add"), args()));

    ResultEnvelope exec = exec(file, sandbox());

    assertThat(exec.success()).as("%s", exec.error()).isTrue();
    assertThat(exec.result()).isEqualTo(run.result());
    assertThat(exec.execution().taskName()).isEqualTo("add");
    assertThat(exec.execution().fuelConsumed()).isEqualTo(run.execution().fuelConsumed());
    assertThat(TaskFile.read(file, ScriptSandbox.CACHE).scriptArtifact().bound()).isTrue();
  }

  @Test
  void anAlteredScriptIsRefusedByItsHash() throws IOException {
    Path file = built();
    rewrite(file, (manifest, entries) -> entries.put("script/add.js", bytes("globalThis.x = 1")));

    assertThatThrownBy(() -> TaskFile.read(file, ScriptSandbox.CACHE))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("script/add.js does not match its SHA-256");
  }

  @Test
  void anAlteredScriptWithItsHashRecomputedIsRefusedByTheSignature() throws IOException {
    Path file = built();
    String evil = SOURCE.replace("a + b", "a * b");
    rewrite(
        file,
        (manifest, entries) -> {
          entries.put("script/add.js", bytes(evil));
          manifest.put("script_sha256", Sha256.hex(bytes(evil)));
        });

    assertThatThrownBy(() -> exec(file, sandbox()))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("is not signed by this installation");
  }

  @Test
  void raisedOptionsInABuiltArtifactAreRefusedByTheSignature() throws IOException {
    Path file = built();
    rewrite(
        file,
        (manifest, entries) -> {
          ObjectNode options = (ObjectNode) manifest.get("options");
          options.put("compute", "HIGH");
          options.putArray("allowed_hosts").add("*");
        });

    assertThatThrownBy(() -> exec(file, sandbox()))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("is not signed by this installation");
  }

  @Test
  void aSnapshotHashThisCacheDoesNotHoldIsRefusedEvenWhenSignedHere() throws IOException {
    GuestScript script = script();
    TaskOptions options = script.optionsOf("add");
    ScriptArtifact real = ScriptArtifact.build(sandbox(), script, options);
    String otherSnapshot = "00".repeat(32);
    InstallationKey key = InstallationKey.of(ScriptSandbox.CACHE);
    byte[] tag = real.tag(key, real.binding().moduleSha256(), otherSnapshot, null);
    var forged =
        new ScriptArtifact(
            script,
            options,
            real.interpreter(),
            new ScriptArtifact.Binding(
                real.binding().moduleSha256(), otherSnapshot, null, HexFormat.of().formatHex(tag)));
    Path file = tmp.resolve("forged.capsule");
    forged.write(file);

    assertThatThrownBy(() -> exec(file, sandbox()))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("was built against interpreter snapshot " + otherSnapshot);
  }

  @Test
  void anArtifactWhoseSnapshotIsGoneFromTheCacheIsRefused() throws IOException {
    Path file = built();
    Path cache = linkedCopyWithoutSnapshots(ScriptSandbox.CACHE, tmp.resolve("cache"));
    try (Sandbox elsewhere =
        Sandbox.create(SandboxConfig.builder().withCacheDir(cache).withFilesRoot(tmp).build())) {
      assertThatThrownBy(() -> exec(file, elsewhere))
          .isInstanceOf(InvalidModuleException.class)
          .hasMessageContaining("which this cache does not hold");
    }
  }

  @Test
  void anExportedArtifactRunsWithoutBindingAndNamesOnlyItsInterpreter() throws IOException {
    GuestScript script = script();
    Path file = tmp.resolve("exported.capsule");
    ScriptArtifact.exported(script, script.optionsOf("add")).write(file);

    ResultEnvelope exec = exec(file, sandbox());

    assertThat(exec.success()).as("%s", exec.error()).isTrue();
    assertThat(exec.result().get("sum").asInt()).isEqualTo(42);
    assertThat(TaskFile.read(file, ScriptSandbox.CACHE).scriptArtifact().bound()).isFalse();
  }

  @Test
  void anArtifactForAnotherInterpreterVersionIsRefused() throws IOException {
    GuestScript script = script();
    Path file = tmp.resolve("exported.capsule");
    ScriptArtifact.exported(script, script.optionsOf("add")).write(file);
    rewrite(file, (manifest, entries) -> manifest.put("interpreter", "quickjs-wasi@0.0.1"));

    assertThatThrownBy(() -> exec(file, sandbox()))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("was built for quickjs-wasi@0.0.1");
  }

  @Test
  void aFileNameThatIsAPathIsRefused() throws IOException {
    GuestScript script = script();
    Path file = tmp.resolve("exported.capsule");
    ScriptArtifact.exported(script, script.optionsOf("add")).write(file);
    rewrite(
        file,
        (manifest, entries) -> {
          manifest.put("file", "../add.js");
          entries.put("script/../add.js", entries.get("script/add.js"));
        });

    assertThatThrownBy(() -> TaskFile.read(file, ScriptSandbox.CACHE))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("not a script file name");
  }

  @Test
  void anArtifactWithoutOptionsIsRefused() throws IOException {
    GuestScript script = script();
    Path file = tmp.resolve("exported.capsule");
    ScriptArtifact.exported(script, script.optionsOf("add")).write(file);
    rewrite(file, (manifest, entries) -> manifest.remove("options"));

    assertThatThrownBy(() -> TaskFile.read(file, ScriptSandbox.CACHE))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("no 'options' object");
  }

  private interface Edit {
    void apply(ObjectNode manifest, Map<String, byte[]> entries);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Rewrites an artifact's zip with {@code edit} applied to its manifest and entries. */
  private static void rewrite(Path file, Edit edit) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (var zip = new ZipInputStream(Files.newInputStream(file))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        entries.put(e.getName(), zip.readAllBytes());
      }
    }
    ObjectNode manifest =
        (ObjectNode) CapsuleJson.readTree(new String(entries.get("task.json"), UTF8));
    edit.apply(manifest, entries);
    entries.put("task.json", bytes(CapsuleJson.write(manifest)));
    try (var zip = new ZipOutputStream(Files.newOutputStream(file))) {
      for (var e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  /**
   * The cache {@code from} as another directory of hard links (same owner, same key, nothing
   * copied), without its snapshots.
   */
  private static Path linkedCopyWithoutSnapshots(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path source : (Iterable<Path>) files::iterator) {
        Path relative = from.relativize(source);
        if (relative.startsWith("snapshots")) {
          continue;
        }
        Path target = to.resolve(relative);
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
          Files.setPosixFilePermissions(target, Files.getPosixFilePermissions(source));
        } else {
          Files.createLink(target, source);
        }
      }
    }
    return to;
  }
}
