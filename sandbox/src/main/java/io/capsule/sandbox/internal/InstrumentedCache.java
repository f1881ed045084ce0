package io.capsule.sandbox.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarFile;

/**
 * Fuel-instrumented modules on disk, so a new process does not rewrite a large module again (the 13
 * MB CPython interpreter takes seconds). One file per original module's SHA-256, in a folder named
 * after a fingerprint of the instrumenter's own classes: any change to the rewrite starts a new
 * folder. Files are published atomically; a file that does not parse is rewritten.
 *
 * <p>An entry decides what fuel a module is charged, so each is authenticated ({@link SignedFiles}:
 * the {@link InstallationKey} tag over the instrumenter's fingerprint, the original module's
 * SHA-256 and the bytes). A planted or moved entry, such as the module without its metering, is
 * deleted and the module instrumented again.
 */
public final class InstrumentedCache {
  private static final String METER_PACKAGE = "io/capsule/sandbox/internal/meter/";
  private static final String PURPOSE = "capsule fuel-instrumented module v1";

  private final SignedFiles files;
  private final String fingerprint;

  private InstrumentedCache(Path root, String fingerprint) {
    this.fingerprint = fingerprint;
    this.files =
        new SignedFiles(
            root, Path.of("instrumented", "signed-" + fingerprint.substring(0, 16)), PURPOSE);
  }

  /** The cache under {@code root}, for the instrumenter classes {@code anchor} belongs with. */
  public static InstrumentedCache under(Path root, Class<?> anchor) {
    return new InstrumentedCache(root, fingerprint(anchor));
  }

  /** The instrumented bytes of the module with this SHA-256, or {@code null}. */
  public byte[] get(String sha256) {
    return files.read(sha256 + ".wasm", identity(sha256));
  }

  /** Stores the instrumented bytes; failures only cost the next process a rewrite. */
  public void put(String sha256, byte[] instrumented) {
    try {
      files.write(sha256 + ".wasm", identity(sha256), instrumented);
    } catch (IOException e) {
      // the cache only saves time
    }
  }

  private List<String> identity(String sha256) {
    return List.of("instrumenter " + fingerprint, sha256);
  }

  /** SHA-256 over the class files of the instrumenter's package, from its jar or directory. */
  static String fingerprint(Class<?> anchor) {
    try {
      MessageDigest digest = io.capsule.protocol.Sha256.digest();
      CodeSource source = anchor.getProtectionDomain().getCodeSource();
      Path location = source == null ? null : Path.of(source.getLocation().toURI());
      if (location != null && Files.isDirectory(location)) {
        Path pkg = location.resolve(METER_PACKAGE);
        List<Path> classes;
        try (var files = Files.list(pkg)) {
          classes = files.sorted().toList();
        }
        for (Path p : classes) {
          digest.update(
              p.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
          digest.update(Files.readAllBytes(p));
        }
      } else if (location != null) {
        try (JarFile jar = new JarFile(location.toFile())) {
          List<java.util.jar.JarEntry> entries =
              jar.stream()
                  .filter(e -> e.getName().startsWith(METER_PACKAGE))
                  .sorted(java.util.Comparator.comparing(java.util.jar.JarEntry::getName))
                  .toList();
          for (var entry : entries) {
            digest.update(entry.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            try (InputStream in = jar.getInputStream(entry)) {
              digest.update(in.readAllBytes());
            }
          }
        }
      } else {
        digest.update(anchor.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fingerprint the fuel instrumenter", e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot fingerprint the fuel instrumenter", e);
    }
  }
}
