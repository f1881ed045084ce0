package io.capsule.sandbox;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.TaskOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A built task ({@code capsule build}): the module as given, the task's options, and the compiled
 * classes, so {@code capsule exec} runs it without compiling. A zip file with {@code task.json},
 * {@code module.wasm} and {@code compiled.jar}.
 *
 * @param wasm the module as given
 * @param options the task options baked in at build time
 * @param digest the compile cache key of the compiled classes ({@code null} if none)
 * @param compiledClasses the compiled classes, or {@code null}
 */
public record TaskArtifact(
    byte[] wasm, TaskOptions options, String digest, byte[] compiledClasses) {
  /** The file name extension of artifacts. */
  public static final String EXTENSION = ".capsule";

  private static final String FORMAT = "capsule.artifact/v1";

  /** Builds an artifact from a prepared (compiled) module and its options. */
  public static TaskArtifact of(PreparedModule module, TaskOptions options) {
    return new TaskArtifact(module.wasm(), options, module.digest(), module.compiledClasses());
  }

  /** Whether {@code file} looks like an artifact (by its zip signature). */
  public static boolean isArtifact(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] head = in.readNBytes(4);
      return head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
    }
  }

  /** Writes the artifact to {@code file}. */
  public void write(Path file) throws IOException {
    var manifest = CapsuleJson.mapper().createObjectNode();
    manifest.put("format", FORMAT);
    manifest.put("chicory", ModulePreparer.CHICORY_VERSION);
    manifest.put("sha256", ModulePreparer.sha256(wasm));
    manifest.put("digest", digest);
    manifest.set("options", CapsuleJson.mapper().valueToTree(options));
    try (var zip = new ZipOutputStream(Files.newOutputStream(file))) {
      put(zip, "task.json", CapsuleJson.writePretty(manifest).getBytes(StandardCharsets.UTF_8));
      put(zip, "module.wasm", wasm);
      if (compiledClasses != null) {
        put(zip, "compiled.jar", compiledClasses);
      }
    }
  }

  /**
   * Reads an artifact.
   *
   * @throws InvalidModuleException when the file is not an artifact of this version
   */
  public static TaskArtifact read(Path file) throws IOException {
    Map<String, byte[]> entries = new HashMap<>();
    try (var zip = new ZipInputStream(Files.newInputStream(file))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        entries.put(e.getName(), zip.readAllBytes());
      }
    }
    if (!entries.containsKey("task.json") || !entries.containsKey("module.wasm")) {
      throw new InvalidModuleException(file + " is not a capsule artifact");
    }
    var manifest =
        CapsuleJson.readTree(new String(entries.get("task.json"), StandardCharsets.UTF_8));
    if (!FORMAT.equals(manifest.path("format").asText())) {
      throw new InvalidModuleException(file + " has unknown format " + manifest.path("format"));
    }
    var options = CapsuleJson.convert(manifest.get("options"), TaskOptions.class);
    boolean sameRuntime = ModulePreparer.CHICORY_VERSION.equals(manifest.path("chicory").asText());
    byte[] classes = sameRuntime ? entries.get("compiled.jar") : null;
    return new TaskArtifact(
        entries.get("module.wasm"), options, manifest.path("digest").asText(null), classes);
  }

  private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(data);
    zip.closeEntry();
  }
}
