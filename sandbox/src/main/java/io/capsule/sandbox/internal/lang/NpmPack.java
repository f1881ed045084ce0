package io.capsule.sandbox.internal.lang;

import io.capsule.protocol.InternalException;
import io.capsule.protocol.Sha256;
import io.capsule.sandbox.internal.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Downloads a package tarball with the npm client ({@code npm pack}), the registry's own tool. */
final class NpmPack {
  private static final Duration TIMEOUT = Duration.ofMinutes(10);

  private NpmPack() {}

  /**
   * {@link #fetch}, then checks the tarball against its pinned SHA-256.
   *
   * @throws InternalException when it does not match
   */
  static byte[] fetchVerified(String spec, String sha256, Path work, PrintStream progress)
      throws IOException {
    progress.println("capsule: fetching " + spec + " (first use; cached in " + work + ")…");
    byte[] tarball = fetch(spec, work, progress);
    String actual = Sha256.hex(tarball);
    if (!actual.equals(sha256)) {
      throw new InternalException(spec + " tarball has SHA-256 " + actual + ", expected " + sha256);
    }
    progress.println("capsule: " + spec + " verified (sha256 " + actual.substring(0, 12) + "…)");
    return tarball;
  }

  /**
   * {@code file}, made on first use from the entry {@code entry} of the verified tarball of {@code
   * spec} (one file of an npm package that runs on Node.js: Binaryen, TypeScript). Node.js runs it
   * as the host user, so it is checked against the entry's pinned SHA-256 on every use, read
   * without following links; a file that is a link or does not match is replaced from the npm
   * registry.
   */
  static synchronized Path cachedEntry(
      Path file, String spec, String sha256, String entry, String entrySha256, PrintStream progress)
      throws IOException {
    if (!matches(file, entrySha256)) {
      Files.createDirectories(file.getParent());
      byte[] tarball = fetchVerified(spec, sha256, file.getParent(), progress);
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

  /** The tarball bytes of {@code spec}, downloaded into a temporary folder under {@code work}. */
  static byte[] fetch(String spec, Path work, PrintStream progress) throws IOException {
    Path dir = Files.createTempDirectory(work, "npm-pack");
    try {
      var npm =
          ChildProcess.run(
              List.of(npmCommand(), "pack", spec, "--silent", "--pack-destination", "."),
              dir,
              TIMEOUT);
      if (npm.exitCode() != 0) {
        throw new InternalException("npm pack " + spec + " failed: " + npm.output());
      }
      try (var files = Files.list(dir)) {
        Path tgz =
            files
                .filter(p -> p.toString().endsWith(".tgz"))
                .findFirst()
                .orElseThrow(() -> new InternalException("npm pack " + spec + " made no tarball"));
        progress.println(
            "capsule: downloaded " + tgz.getFileName() + " (" + Files.size(tgz) + " bytes)");
        return Files.readAllBytes(tgz);
      }
    } catch (ChildProcess.TimedOut e) {
      throw new InternalException("npm pack " + spec + " " + e.getMessage() + " (stopped)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InternalException("interrupted while fetching " + spec, e);
    } catch (IOException e) {
      throw new InternalException(
          "cannot run npm to fetch " + spec + " (install Node.js/npm, or pre-fill the cache): " + e,
          e);
    } finally {
      deleteTree(dir);
    }
  }

  private static String npmCommand() {
    return System.getProperty("os.name", "").startsWith("Windows") ? "npm.cmd" : "npm";
  }

  /** Node.js, which runs the npm tools. */
  static String nodeCommand() {
    return System.getProperty("os.name", "").startsWith("Windows") ? "node.exe" : "node";
  }

  /** Deletes {@code dir} and everything under it. */
  static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
