package io.capsule.sandbox;

import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.ScriptRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.internal.lang.InterpreterArtifact;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * A task read from a file: a {@code .wasm} module, WebAssembly text ({@code .wat}), a Python or
 * JavaScript/TypeScript script, or a built artifact ({@code .capsule}: a module's, see {@link
 * TaskArtifact}, or a script's, see {@link ScriptArtifact}).
 *
 * @param path the file
 * @param wasm the module bytes (for a script, its interpreter's; {@code null} for a script read
 *     without it and for a script artifact)
 * @param artifact the module artifact when the file is one, else {@code null}
 * @param script the script when the file is one, else {@code null}
 * @param scriptArtifact the script artifact when the file is one, else {@code null}
 */
public record TaskFile(
    Path path,
    byte[] wasm,
    TaskArtifact artifact,
    GuestScript script,
    ScriptArtifact scriptArtifact) {

  /** A module or artifact file. */
  public TaskFile(Path path, byte[] wasm, TaskArtifact artifact) {
    this(path, wasm, artifact, null, null);
  }

  /** A script file, with its interpreter's bytes or without ({@code null}). */
  public TaskFile(Path path, byte[] wasm, TaskArtifact artifact, GuestScript script) {
    this(path, wasm, artifact, script, null);
  }

  /**
   * Reads a task file, choosing the format by content and extension.
   *
   * @throws NoSuchFileException when the file does not exist
   * @throws IOException when it cannot be read
   * @throws InvalidModuleException when WebAssembly text does not assemble or the format is not
   *     supported
   */
  public static TaskFile read(Path path) throws IOException {
    return read(path, SandboxConfig.defaults().cacheDir());
  }

  /**
   * {@link #read(Path)}, keeping interpreters (for {@code .py}, {@code .js}, {@code .mjs}, {@code
   * .ts}) in {@code cacheDir}; the first use fetches them, with progress on stderr.
   */
  public static TaskFile read(Path path, Path cacheDir) throws IOException {
    return read(path, cacheDir, null);
  }

  /**
   * {@link #read(Path)}, assembling WebAssembly text within a task's {@code timeout} (see {@link
   * WatAssembler#assemble(String, Duration)}; {@code null}: the default preparation timeout).
   */
  public static TaskFile read(Path path, Duration timeout) throws IOException {
    return read(path, SandboxConfig.defaults().cacheDir(), timeout);
  }

  private static TaskFile read(Path path, Path cacheDir, Duration timeout) throws IOException {
    if (!Files.isRegularFile(path)) {
      throw new NoSuchFileException(path.toString(), null, "no such file");
    }
    if (TaskArtifact.isArtifact(path)) {
      return readArtifact(path);
    }
    GuestScript script = readScript(path);
    if (script != null) {
      var interpreter =
          script.language() == GuestScript.Language.PYTHON
              ? InterpreterArtifact.CPYTHON
              : InterpreterArtifact.QUICKJS;
      Path cache = SandboxConfig.cacheDirOrTemp(cacheDir);
      return new TaskFile(path, interpreter.load(cache, System.err), null, script);
    }
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".wat") || name.endsWith(".wast")) {
      return new TaskFile(path, WatAssembler.assemble(path, timeout), null);
    }
    return new TaskFile(path, Files.readAllBytes(path), null);
  }

  private static TaskFile readArtifact(Path path) throws IOException {
    var entries = TaskArtifact.entries(path, TaskArtifact.MAX_UNPACKED_BYTES);
    var manifest = TaskArtifact.manifest(path, entries);
    if (ScriptArtifact.isOne(manifest)) {
      return new TaskFile(path, null, null, null, ScriptArtifact.from(path, manifest, entries));
    }
    TaskArtifact artifact = TaskArtifact.from(path, manifest, entries);
    return new TaskFile(path, artifact.wasm(), artifact);
  }

  /**
   * The script in a Python or JavaScript/TypeScript task file ({@code .py}, {@code .js}, {@code
   * .mjs}, {@code .ts}, {@code .mts}), without loading its interpreter; {@code null} for any other
   * file. {@link Sandbox#prepare(GuestScript)} binds it to the sandbox's interpreter, which a
   * long-lived sandbox loads once.
   *
   * @throws IOException when the file cannot be read
   * @throws InvalidModuleException when a task declaration's options are not literals
   */
  public static GuestScript readScript(Path path) throws IOException {
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (ScriptRef.isScriptFile(name)) {
      if (!Files.isRegularFile(path)) {
        throw new NoSuchFileException(path.toString(), null, "no such file");
      }
      return GuestScript.of(name, Files.readString(path));
    }
    return null;
  }

  /**
   * The options baked into an artifact, or the entry task's declared options with its name (see
   * {@link GuestScript#entryTask}: {@code main}, or a file's single task), or none.
   *
   * @throws io.capsule.protocol.InvalidRequestException when a script declares several tasks and
   *     none is {@code main}
   */
  public TaskOptions bakedOptions() {
    return bakedOptions(null);
  }

  /**
   * {@link #bakedOptions()} for a call asking for task {@code requested} ({@code null}: the entry
   * task): a script's declared options of that task, with its name.
   *
   * @throws io.capsule.protocol.InvalidRequestException when {@code main} is asked for and a script
   *     declares several tasks and none is {@code main}
   */
  public TaskOptions bakedOptions(String requested) {
    if (script != null) {
      return script.optionsOf(script.entryTask(requested));
    }
    if (scriptArtifact != null) {
      boolean entry = requested == null || requested.equals(scriptArtifact.options().name());
      return entry ? scriptArtifact.options() : scriptArtifact.script().optionsOf(requested);
    }
    return artifact == null ? TaskOptions.NONE : artifact.options();
  }
}
