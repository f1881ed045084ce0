package io.capsule.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.Sha256;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.internal.CacheWarnings;
import io.capsule.sandbox.internal.DiskCompileCache;
import io.capsule.sandbox.internal.InstallationKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A built task ({@code capsule build}): the module as given, the task's options, and the compiled
 * classes, so {@code capsule exec} runs it without compiling. A zip file with {@code task.json},
 * {@code module.wasm} and {@code compiled.jar}.
 *
 * <p>What is trusted: compiled classes are JVM code that runs as the host user, so they are used
 * only when {@link #signature} is this installation's tag over them ({@link #signedBy}, made by
 * {@code capsule build} with the key in the cache directory). Anything else, an artifact built on
 * another machine or by another user, or edited, is just a module plus options: {@link
 * #trustedClasses} drops its classes, and the module is validated, fuel-instrumented and compiled
 * here like any {@code .wasm}. An artifact never carries an instrumented module; the options are
 * only defaults that the caller's flags and limits override.
 *
 * @param wasm the module as given
 * @param options the task options baked in at build time
 * @param digest the compile cache key of the compiled classes ({@code null} if none)
 * @param compiledClasses the compiled classes, or {@code null}
 * @param signature the building installation's HMAC-SHA256 tag of the compiled classes (hex), or
 *     {@code null}
 */
public record TaskArtifact(
    byte[] wasm, TaskOptions options, String digest, byte[] compiledClasses, String signature) {
  /** The file name extension of artifacts. */
  public static final String EXTENSION = ".capsule";

  /** The most an artifact may unpack to: a module and its classes, CPython's size with room. */
  public static final long MAX_UNPACKED_BYTES = 256L << 20;

  private static final String FORMAT = "capsule.artifact/v1";

  /**
   * Builds an artifact from a prepared (compiled) module and its options; unsigned, so its compiled
   * classes are used nowhere until {@link #signedBy}.
   */
  public static TaskArtifact of(PreparedModule module, TaskOptions options) {
    return new TaskArtifact(
        module.wasm(), options, module.digest(), module.compiledClasses(), null);
  }

  /**
   * This artifact with its compiled classes signed by the installation whose cache is {@code
   * cacheDir}; without them when that installation has no usable key (no cache directory, or one
   * refused for its owner or permissions), as nobody could use them.
   */
  public TaskArtifact signedBy(Path cacheDir) {
    if (compiledClasses == null || digest == null) {
      return this;
    }
    InstallationKey key = keyOf(cacheDir);
    if (key == null) {
      return new TaskArtifact(wasm, options, null, null, null);
    }
    byte[] tag = DiskCompileCache.tag(key, ModulePreparer.CHICORY_VERSION, digest, compiledClasses);
    return new TaskArtifact(wasm, options, digest, compiledClasses, HexFormat.of().formatHex(tag));
  }

  /**
   * The compiled classes keyed by their digest when {@link #signature} is the tag of the
   * installation whose cache is {@code cacheDir}; otherwise none (with a warning once per process),
   * and the module is compiled again.
   */
  public Map<String, byte[]> trustedClasses(Path cacheDir) {
    if (compiledClasses == null || digest == null) {
      return Map.of();
    }
    InstallationKey key = keyOf(cacheDir);
    if (key != null && signature != null && signedWith(key)) {
      return Map.of(digest, compiledClasses);
    }
    CacheWarnings.once(
        "artifact",
        "an artifact's compiled classes are not signed by this installation (built elsewhere or"
            + " altered); compiling its module here");
    return Map.of();
  }

  private boolean signedWith(InstallationKey key) {
    byte[] tag;
    try {
      tag = HexFormat.of().parseHex(signature);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return DiskCompileCache.verifies(
        key, tag, ModulePreparer.CHICORY_VERSION, digest, compiledClasses);
  }

  /** This installation's key in {@code cacheDir}, or {@code null} (none, or unreadable: warned). */
  static InstallationKey keyOf(Path cacheDir) {
    if (cacheDir == null) {
      return null;
    }
    try {
      return InstallationKey.of(cacheDir);
    } catch (IOException e) {
      CacheWarnings.once(
          "refused:" + cacheDir,
          "not using the cache in " + cacheDir + ": " + e.getMessage() + "; working without it");
      return null;
    }
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
    manifest.put("sha256", Sha256.hex(wasm));
    manifest.put("digest", digest);
    manifest.put("signature", signature);
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
   * @throws InvalidModuleException when the file is not an artifact of this version, or unpacks to
   *     more than {@value #MAX_UNPACKED_BYTES} bytes (an artifact from elsewhere is untrusted)
   */
  public static TaskArtifact read(Path file) throws IOException {
    return read(file, MAX_UNPACKED_BYTES);
  }

  /** {@link #read(Path)} with another limit on the unpacked size. */
  static TaskArtifact read(Path file, long maxUnpacked) throws IOException {
    Map<String, byte[]> entries = entries(file, maxUnpacked);
    return from(file, manifest(file, entries), entries);
  }

  /**
   * The entries of an artifact file, by name.
   *
   * @throws InvalidModuleException when they unpack to more than {@code maxUnpacked} bytes
   */
  static Map<String, byte[]> entries(Path file, long maxUnpacked) throws IOException {
    Map<String, byte[]> entries = new HashMap<>();
    long unpacked = 0;
    try (var zip = new ZipInputStream(Files.newInputStream(file))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        byte[] bytes = zip.readNBytes((int) (maxUnpacked - unpacked + 1));
        unpacked += bytes.length;
        if (unpacked > maxUnpacked) {
          throw new InvalidModuleException(
              file + " unpacks to more than " + maxUnpacked + " bytes (at " + e.getName() + ")");
        }
        entries.put(e.getName(), bytes);
      }
    }
    return entries;
  }

  /**
   * The manifest ({@code task.json}) of an artifact's entries.
   *
   * @throws InvalidModuleException when there is none or it is not JSON
   */
  static JsonNode manifest(Path file, Map<String, byte[]> entries) {
    byte[] manifest = entries.get("task.json");
    if (manifest == null) {
      throw new InvalidModuleException(file + " is not a capsule artifact");
    }
    try {
      return CapsuleJson.readTree(new String(manifest, StandardCharsets.UTF_8));
    } catch (CapsuleException e) {
      throw new InvalidModuleException(file + ": task.json is not JSON", e);
    }
  }

  /** The module artifact of unpacked entries. */
  static TaskArtifact from(Path file, JsonNode manifest, Map<String, byte[]> entries) {
    if (!FORMAT.equals(manifest.path("format").asText())) {
      throw new InvalidModuleException(file + " has unknown format " + manifest.path("format"));
    }
    if (!entries.containsKey("module.wasm")) {
      throw new InvalidModuleException(file + " is not a capsule artifact");
    }
    var options = CapsuleJson.convert(manifest.get("options"), TaskOptions.class);
    boolean sameRuntime = ModulePreparer.CHICORY_VERSION.equals(manifest.path("chicory").asText());
    byte[] classes = sameRuntime ? entries.get("compiled.jar") : null;
    return new TaskArtifact(
        entries.get("module.wasm"),
        options,
        manifest.path("digest").asText(null),
        classes,
        manifest.path("signature").asText(null));
  }

  private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(data);
    zip.closeEntry();
  }
}
