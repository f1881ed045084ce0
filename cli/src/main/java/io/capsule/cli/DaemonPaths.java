package io.capsule.cli;

import io.capsule.protocol.Sha256;
import io.capsule.sandbox.SandboxConfig;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where the local daemon of this build lives: {@code CACHE/daemon/FINGERPRINT/} (owner-only, 0700),
 * holding the socket {@code sock}, the start lock, the daemon's own lock, its pid and its log. The
 * fingerprint hashes the Java home and every class-path entry (name, size, modification time; for a
 * directory, its newest file), so a rebuilt CLI never talks to a daemon of an older build.
 */
record DaemonPaths(Path dir) {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  /** The daemon of the running build, under the cache directory. */
  static DaemonPaths forThisBuild() {
    return new DaemonPaths(
        SandboxConfig.defaultCacheDir()
            .toAbsolutePath()
            .resolve("daemon")
            .resolve(fingerprint(System.getProperty("java.class.path"))));
  }

  Path socket() {
    return dir.resolve("sock");
  }

  /**
   * Deletes the directories of other builds' daemons that are not running (no socket) and whose
   * files are all older than {@code maxUnused}; returns how many went.
   */
  static int sweepOthers(DaemonPaths own, Duration maxUnused) {
    Path parent = own.dir().getParent();
    Instant cutoff = Instant.now().minus(maxUnused);
    int removed = 0;
    try (Stream<Path> dirs = Files.list(parent)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        if (dir.equals(own.dir())
            || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
            || Files.exists(new DaemonPaths(dir).socket())
            || newest(dir).isAfter(cutoff)) {
          continue;
        }
        try (Stream<Path> files = Files.list(dir)) {
          for (Path f : (Iterable<Path>) files::iterator) {
            Files.deleteIfExists(f);
          }
        }
        Files.deleteIfExists(dir);
        removed++;
      }
    } catch (IOException | UncheckedIOException e) {
      // the next sweep
    }
    return removed;
  }

  private static Instant newest(Path dir) throws IOException {
    Instant newest = Files.getLastModifiedTime(dir).toInstant();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Instant t = Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS).toInstant();
        newest = t.isAfter(newest) ? t : newest;
      }
    }
    return newest;
  }

  /** Held by a client while it starts a daemon, so two first runs start one. */
  Path startLock() {
    return dir.resolve("start.lock");
  }

  /** Held by the running daemon for its whole life. */
  Path daemonLock() {
    return dir.resolve("daemon.lock");
  }

  Path pidFile() {
    return dir.resolve("daemon.pid");
  }

  Path log() {
    return dir.resolve("daemon.log");
  }

  /**
   * Creates the directory (and {@code daemon/} above it) owner-only, and tightens them if they
   * exist with wider permissions.
   *
   * @throws IOException when it cannot, or the directory belongs to another user
   */
  DaemonPaths ensureDirectory() throws IOException {
    for (Path d : new Path[] {dir.getParent(), dir}) {
      if (!Files.isDirectory(d)) {
        Files.createDirectories(d);
      }
      if (!Files.getOwner(d).getName().equals(System.getProperty("user.name"))) {
        throw new IOException(d + " belongs to " + Files.getOwner(d).getName());
      }
      if (!Files.getPosixFilePermissions(d).equals(OWNER_ONLY)) {
        Files.setPosixFilePermissions(d, OWNER_ONLY);
      }
    }
    return this;
  }

  /** A short hash of the Java home and the class path's entries. */
  static String fingerprint(String classPath) {
    MessageDigest digest = Sha256.digest();
    update(digest, System.getProperty("java.home"));
    for (String entry : classPath.split(File.pathSeparator)) {
      update(digest, entry);
      update(digest, stamp(Path.of(entry)));
    }
    return HexFormat.of().formatHex(digest.digest(), 0, 8);
  }

  private static String stamp(Path entry) {
    try {
      if (Files.isDirectory(entry)) {
        try (Stream<Path> files = Files.walk(entry)) {
          var stamps = files.filter(Files::isRegularFile).map(DaemonPaths::sizeAndTime).toList();
          return stamps.size() + " " + stamps.stream().max(String::compareTo).orElse("");
        }
      }
      return sizeAndTime(entry);
    } catch (IOException | java.io.UncheckedIOException e) {
      return "unreadable";
    }
  }

  private static String sizeAndTime(Path file) {
    try {
      var attrs = Files.readAttributes(file, BasicFileAttributes.class);
      return String.format("%020d %d", attrs.lastModifiedTime().toMillis(), attrs.size());
    } catch (IOException e) {
      return "missing";
    }
  }

  private static void update(MessageDigest digest, String s) {
    digest.update(s.getBytes(StandardCharsets.UTF_8));
    digest.update((byte) 0);
  }
}
