package io.capsule.sandbox.internal;

import com.dylibso.chicory.compiler.Cache;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

/**
 * Chicory's compile cache on disk: one file per module digest, published atomically (write a temp
 * file, then move) so concurrent processes never read a half-written entry. The folder is versioned
 * by the Chicory version, whose generated classes are not portable across releases.
 *
 * <p>The entries are JVM classes that Chicory loads and initialises, so each is authenticated
 * ({@link SignedFiles}, tagged with the {@link InstallationKey} over the Chicory version, the
 * module digest and the jar): a jar planted in the folder, or moved there from another module's
 * entry, is deleted and the module compiled again; it is never loaded.
 */
public final class DiskCompileCache implements Cache {
  /** What the tag of compiled classes says they are (also the tag of an artifact's classes). */
  static final String PURPOSE = "capsule compiled classes v1";

  private final SignedFiles files;
  private final String runtimeVersion;

  /** A cache under {@code root}. */
  public DiskCompileCache(Path root, String runtimeVersion) {
    this.files = new SignedFiles(root, folder(runtimeVersion), PURPOSE);
    this.runtimeVersion = runtimeVersion;
  }

  /**
   * The tag of {@code jar}, the classes Chicory {@code runtimeVersion} compiled for the module with
   * cache key {@code digest}, under {@code key}.
   */
  public static byte[] tag(InstallationKey key, String runtimeVersion, String digest, byte[] jar) {
    return key.tag(PURPOSE, identity(runtimeVersion, digest), jar);
  }

  /** Whether {@code tag} is {@link #tag}'s for these classes. */
  public static boolean verifies(
      InstallationKey key, byte[] tag, String runtimeVersion, String digest, byte[] jar) {
    return key.verifies(tag, PURPOSE, identity(runtimeVersion, digest), jar, 0, jar.length);
  }

  @Override
  public byte[] get(String key) {
    return files.read(fileName(key), identity(runtimeVersion, key));
  }

  @Override
  public void putIfAbsent(String key, byte[] data) throws IOException {
    if (!files.exists(fileName(key))) {
      files.write(fileName(key), identity(runtimeVersion, key), data); // a racer writes the same
    }
  }

  private static List<String> identity(String runtimeVersion, String digest) {
    return List.of("chicory " + runtimeVersion, digest);
  }

  /** The entry's file name; keys are {@code algo:base64}, so they are hex-encoded. */
  static String fileName(String key) {
    return HexFormat.of().formatHex(key.getBytes(StandardCharsets.UTF_8)) + ".jar";
  }

  /** The folder of the entries, relative to the cache directory. */
  static Path folder(String runtimeVersion) {
    return Path.of("compiled", "signed-chicory-" + runtimeVersion);
  }
}
