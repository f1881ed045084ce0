package io.capsule.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.InternalException;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.Sha256;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.internal.InstallationKey;
import io.capsule.sandbox.internal.lang.InterpreterArtifact;
import io.capsule.sandbox.internal.lang.ReactorSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A built Python or JavaScript/TypeScript task ({@code capsule build hello.py}): the script as it
 * runs (TypeScript already compiled to JavaScript), the options of its entry task, and the
 * interpreter it runs on, named by npm package. A zip file with {@code task.json} and {@code
 * script/<file>}, and for Python {@code code.marshal.b64}.
 *
 * <p>Two kinds. A <b>bound</b> artifact (plain {@code capsule build}) also names, by SHA-256, the
 * prepared interpreter module and the start-up snapshot it was built against, carries the Python
 * file's compiled code, and is signed with this installation's key: {@code capsule exec} runs it
 * only here, on exactly that interpreter and snapshot, and refuses it (invalid_module) when the
 * signature, a hash, the interpreter or the snapshot does not match or is missing. An
 * <b>exported</b> artifact ({@code --export}) has none of that: it is the script and its options,
 * which any Capsule with the same interpreter version runs, preparing its own snapshot on first use
 * — as trusted as the script file itself.
 *
 * @param script the script as it runs
 * @param options the entry task's options (its name set)
 * @param interpreter the npm package and version of the interpreter
 * @param binding what ties the artifact to this installation, or {@code null} when exported
 */
public record ScriptArtifact(
    GuestScript script, TaskOptions options, String interpreter, Binding binding) {
  static final String FORMAT = "capsule.script-artifact/v1";
  private static final String SIGNATURE_PURPOSE = "script-artifact";
  private static final String CODE_ENTRY = "code.marshal.b64";
  private static final String SCRIPT_DIR = "script/";
  private static final String COMPILE_ONLY = "capsule build: compile only";
  private static final String REBUILD = "run 'capsule build' on the script again";

  /**
   * What ties a built artifact to the installation that built it.
   *
   * @param moduleSha256 SHA-256 of the prepared interpreter module the script binds to (for Python
   *     the resumable rewrite of CPython)
   * @param snapshotSha256 SHA-256 of the interpreter's start-up snapshot ({@link
   *     io.capsule.sandbox.internal.lang.ReactorSnapshot#sha256()})
   * @param code the Python file's compiled code (marshalled, base64), or {@code null}
   * @param signature this installation's HMAC-SHA256 tag over everything else (hex)
   */
  public record Binding(String moduleSha256, String snapshotSha256, String code, String signature) {
    /** Requires the hashes and the signature. */
    public Binding {
      Objects.requireNonNull(moduleSha256, "moduleSha256");
      Objects.requireNonNull(snapshotSha256, "snapshotSha256");
      Objects.requireNonNull(signature, "signature");
    }
  }

  /** Requires the script, options and interpreter. */
  public ScriptArtifact {
    Objects.requireNonNull(script, "script");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(interpreter, "interpreter");
  }

  /** The npm package and version of the interpreter this Capsule runs {@code language} on. */
  static String interpreterOf(GuestScript.Language language) {
    return language == GuestScript.Language.PYTHON
        ? InterpreterArtifact.CPYTHON.npmSpec()
        : InterpreterArtifact.QUICKJS.npmSpec();
  }

  /**
   * Builds the bound artifact of {@code script} in {@code sandbox} (compiled mode, with a cache
   * directory): prepares its interpreter and start-up snapshot (the one-time preparation, when not
   * done yet) and, for Python, compiles the file by running its top level once in the sandbox with
   * the task's compute, ram and timeout and no grants (as capsule-run's build initialises a
   * module).
   *
   * @throws InvalidModuleException when the file does not compile (a syntax error)
   * @throws InternalException when the sandbox cannot prepare its interpreter or snapshot
   */
  public static ScriptArtifact build(Sandbox sandbox, GuestScript script, TaskOptions options) {
    Path cacheDir = sandbox.config().cacheDir();
    if (cacheDir == null || sandbox.config().executionMode() != ExecutionMode.COMPILED) {
      throw new InternalException("building a script needs compiled mode and a cache directory");
    }
    InstallationKey key = TaskArtifact.keyOf(cacheDir);
    if (key == null) {
      throw new InternalException("the cache " + cacheDir + " has no usable installation key");
    }
    Built built =
        script.language() == GuestScript.Language.PYTHON
            ? buildPython(sandbox, script, options)
            : buildJavaScript(sandbox, script);
    var unsigned = exported(script, options);
    String module = built.module().sha256();
    String snapshot = built.snapshot().sha256();
    byte[] tag = unsigned.tag(key, module, snapshot, built.code());
    var binding = new Binding(module, snapshot, built.code(), HexFormat.of().formatHex(tag));
    return new ScriptArtifact(script, options, unsigned.interpreter(), binding);
  }

  /** What a build binds a script to: its prepared interpreter, snapshot and compiled code. */
  private record Built(PreparedModule module, ReactorSnapshot snapshot, String code) {}

  private static Built buildPython(Sandbox sandbox, GuestScript script, TaskOptions options) {
    PreparedModule module = sandbox.prepare(script);
    PythonSnapshots.Resume resume = module.pythonResume();
    if (resume == null) {
      throw new InternalException("no Python snapshot to build against (see the warning above)");
    }
    return new Built(module, resume.snapshot(), compile(sandbox, module, resume, options));
  }

  private static Built buildJavaScript(Sandbox sandbox, GuestScript script) {
    sandbox.prepareInterpreter(GuestScript.Language.JAVASCRIPT);
    PreparedModule module = sandbox.prepare(script);
    ReactorSnapshot snapshot =
        module.quickJsSnapshots().existing(module, sandbox.config().cacheDir());
    if (snapshot == null) {
      throw new InternalException("no QuickJS snapshot to build against");
    }
    return new Built(module, snapshot, null);
  }

  /** The exported artifact of {@code script}: the script and its options, nothing bound. */
  public static ScriptArtifact exported(GuestScript script, TaskOptions options) {
    return new ScriptArtifact(script, options, interpreterOf(script.language()), null);
  }

  /**
   * Runs the file's top level once so the resumed interpreter hands over its compiled code; the
   * call names a task no file declares, so no task runs.
   */
  private static String compile(
      Sandbox sandbox, PreparedModule module, PythonSnapshots.Resume resume, TaskOptions options) {
    TaskOptions probe =
        TaskOptions.builder()
            .name(COMPILE_ONLY)
            .compute(options.compute())
            .ram(options.ram())
            .timeout(options.timeout())
            .build();
    ResultEnvelope envelope = sandbox.attempt(module, new TaskCall(probe, List.of()));
    GuestScript script = module.script();
    String code = resume.compiled().get(script.fileName(), script.source());
    if (code == null) {
      String why = envelope.success() ? "no compiled code came back" : envelope.error().message();
      throw new InvalidModuleException(script.fileName() + " does not compile: " + why);
    }
    return code;
  }

  /**
   * The interpreter module this artifact runs on in {@code sandbox}, bound to its script: an
   * exported artifact as its script would; a bound one only after checking that this installation
   * signed it and still has the interpreter module and snapshot it names (its compiled Python code
   * is then used instead of compiling).
   *
   * @throws InvalidModuleException when the interpreter is another version, or (bound) the
   *     signature is not this installation's, or the interpreter or snapshot is missing or another
   */
  PreparedModule prepareIn(Sandbox sandbox) {
    if (!interpreter.equals(interpreterOf(script.language()))) {
      throw refused(
          "was built for "
              + interpreter
              + "; this Capsule runs "
              + interpreterOf(script.language()));
    }
    if (binding == null) {
      return sandbox.prepare(script);
    }
    InstallationKey key = TaskArtifact.keyOf(sandbox.config().cacheDir());
    if (key == null || !signedWith(key)) {
      throw refused(
          "is not signed by this installation (built elsewhere, by another user, or altered);"
              + " build it here, or move scripts with 'capsule build --export'");
    }
    if (!sandbox.isReadyFor(script.language())) {
      throw refused("needs an interpreter snapshot this cache does not hold; " + REBUILD);
    }
    PreparedModule module = sandbox.prepare(script);
    if (!module.sha256().equals(binding.moduleSha256())) {
      throw refused(
          "was built for interpreter module "
              + binding.moduleSha256()
              + ", not this installation's "
              + module.sha256()
              + " (prepared again since, or another execution mode); "
              + REBUILD);
    }
    ReactorSnapshot snapshot = snapshotOf(module, sandbox.config().cacheDir());
    if (snapshot == null || !snapshot.sha256().equals(binding.snapshotSha256())) {
      throw refused(
          "was built against interpreter snapshot "
              + binding.snapshotSha256()
              + ", which this cache does not hold (swept or made again since); "
              + REBUILD);
    }
    if (binding.code() != null && module.pythonResume() != null) {
      module.pythonResume().compiled().put(script.fileName(), script.source(), binding.code());
    }
    return module;
  }

  private static ReactorSnapshot snapshotOf(PreparedModule module, Path cacheDir) {
    if (module.script().language() == GuestScript.Language.PYTHON) {
      return module.pythonResume() == null ? null : module.pythonResume().snapshot();
    }
    return module.quickJsSnapshots().existing(module, cacheDir);
  }

  private InvalidModuleException refused(String why) {
    return new InvalidModuleException("the built " + script.fileName() + " " + why);
  }

  /** Whether this artifact is tied to the installation that built it. */
  public boolean bound() {
    return binding != null;
  }

  /** The tag of this artifact's content (all but the signature) under {@code key}. */
  byte[] tag(InstallationKey key, String moduleSha256, String snapshotSha256, String code) {
    List<String> identity =
        List.of(
            FORMAT,
            script.language().name(),
            script.fileName(),
            Sha256.hex(script.source().getBytes(StandardCharsets.UTF_8)),
            interpreter,
            moduleSha256,
            snapshotSha256,
            code == null ? "" : Sha256.hex(code.getBytes(StandardCharsets.US_ASCII)),
            CapsuleJson.write(options));
    return key.tag(SIGNATURE_PURPOSE, identity, new byte[0]);
  }

  /** Whether the binding's signature is {@code key}'s tag of this artifact. */
  boolean signedWith(InstallationKey key) {
    byte[] tag;
    try {
      tag = HexFormat.of().parseHex(binding.signature());
    } catch (IllegalArgumentException e) {
      return false;
    }
    byte[] expected = tag(key, binding.moduleSha256(), binding.snapshotSha256(), binding.code());
    return java.security.MessageDigest.isEqual(tag, expected);
  }

  /** Writes the artifact to {@code file}. */
  public void write(Path file) throws IOException {
    ObjectNode manifest = CapsuleJson.mapper().createObjectNode();
    manifest.put("format", FORMAT);
    manifest.put("language", script.language().name().toLowerCase(java.util.Locale.ROOT));
    manifest.put("file", script.fileName());
    manifest.put("script_sha256", Sha256.hex(source()));
    manifest.put("interpreter", interpreter);
    if (binding != null) {
      manifest.put("module_sha256", binding.moduleSha256());
      manifest.put("snapshot_sha256", binding.snapshotSha256());
      if (binding.code() != null) {
        manifest.put("code_sha256", Sha256.hex(code()));
      }
      manifest.put("signature", binding.signature());
    }
    manifest.set("options", CapsuleJson.mapper().valueToTree(options));
    try (var zip = new ZipOutputStream(Files.newOutputStream(file))) {
      put(zip, "task.json", CapsuleJson.writePretty(manifest).getBytes(StandardCharsets.UTF_8));
      put(zip, SCRIPT_DIR + script.fileName(), source());
      if (binding != null && binding.code() != null) {
        put(zip, CODE_ENTRY, code());
      }
    }
  }

  private byte[] source() {
    return script.source().getBytes(StandardCharsets.UTF_8);
  }

  private byte[] code() {
    return binding.code().getBytes(StandardCharsets.US_ASCII);
  }

  private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(data);
    zip.closeEntry();
  }

  /** Whether an artifact's manifest says it is a script artifact. */
  static boolean isOne(JsonNode manifest) {
    return FORMAT.equals(manifest.path("format").asText());
  }

  /**
   * Reads a script artifact from its unpacked entries, checking each part against its hash.
   *
   * @throws InvalidModuleException naming the part that is missing or does not match its hash
   */
  static ScriptArtifact from(Path file, JsonNode manifest, Map<String, byte[]> entries) {
    String fileName = text(file, manifest, "file");
    if (fileName.contains("/")
        || fileName.contains("\\")
        || GuestScript.Language.ofFile(fileName) == null) {
      throw new InvalidModuleException(file + ": 'file' is not a script file name: " + fileName);
    }
    byte[] source =
        checked(file, entries, SCRIPT_DIR + fileName, text(file, manifest, "script_sha256"));
    GuestScript script = GuestScript.built(fileName, new String(source, StandardCharsets.UTF_8));
    if (!manifest.path("options").isObject()) {
      throw new InvalidModuleException(file + ": task.json has no 'options' object");
    }
    TaskOptions options = CapsuleJson.convert(manifest.get("options"), TaskOptions.class);
    String interpreter = text(file, manifest, "interpreter");
    if (!manifest.hasNonNull("signature")) {
      return new ScriptArtifact(script, options, interpreter, null);
    }
    String code = null;
    if (manifest.hasNonNull("code_sha256")) {
      byte[] bytes = checked(file, entries, CODE_ENTRY, manifest.get("code_sha256").asText());
      code = new String(bytes, StandardCharsets.US_ASCII);
    }
    var binding =
        new Binding(
            text(file, manifest, "module_sha256"),
            text(file, manifest, "snapshot_sha256"),
            code,
            text(file, manifest, "signature"));
    return new ScriptArtifact(script, options, interpreter, binding);
  }

  private static byte[] checked(Path file, Map<String, byte[]> entries, String name, String sha) {
    byte[] bytes = entries.get(name);
    if (bytes == null) {
      throw new InvalidModuleException(file + " has no " + name);
    }
    if (!Sha256.hex(bytes).equalsIgnoreCase(sha)) {
      throw new InvalidModuleException(
          file + ": " + name + " does not match its SHA-256 in task.json (altered)");
    }
    return bytes;
  }

  private static String text(Path file, JsonNode manifest, String field) {
    JsonNode value = manifest.get(field);
    if (value == null || !value.isTextual() || value.asText().isBlank()) {
      throw new InvalidModuleException(file + ": task.json has no '" + field + "'");
    }
    return value.asText();
  }
}
