package io.capsule.sandbox.internal.wasi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The directory preopened at guest path {@code /} that stands for mounts which are not preopened
 * themselves (see {@link WasiConfig.Builder#withVirtualRoot}).
 *
 * <p>A guest whose preopen table is fixed (a resumed snapshot) has wasi-libc send every path that
 * no other preopen matches here, relative to the root. This class then does what wasi-libc would
 * have done had the mounts been preopened: pick the mount whose name is the longest matching prefix
 * ({@code __wasilibc_find_abspath}: whole path components, names stripped of leading {@code /} and
 * {@code ./}), and hand the rest of the path to that mount's hidden preopen, where the usual {@link
 * PathGuard} rules apply. A path no mount matches fails with {@code ENOENT} and is not recorded as
 * a denial, as wasi-libc fails it before any host call ({@code ENOENT} is what the wasi-libc of
 * CPython 3.12 WASI answers there; older wasi-libc, e.g. Debian's, says {@code ENOTCAPABLE}).
 */
final class VirtualRoot {
  /** The guest path of the root. */
  static final String GUEST_PATH = "/";

  /** A path re-addressed to a directory fd. */
  record Route(int fd, String path) {}

  private record Entry(String prefix, int fd) {}

  private static Path hostDirectory;

  private final int fd;
  private final List<Entry> entries = new ArrayList<>();

  /**
   * @param fd the root's own preopen fd
   * @param mounts the mounts served under it, in configuration order
   * @param firstMountFd the hidden preopen fd of the first mount; the others follow
   */
  VirtualRoot(int fd, List<Mount> mounts, int firstMountFd) {
    this.fd = fd;
    for (int i = 0; i < mounts.size(); i++) {
      entries.add(new Entry(stripPrefixes(mounts.get(i).guestPath()), firstMountFd + i));
    }
  }

  /**
   * The empty directory the root's preopen shows on the host: one per JVM, never written; made
   * again if a temp-directory cleaner removed it while the JVM ran.
   */
  static synchronized Path hostDirectory() {
    if (hostDirectory == null || !Files.isDirectory(hostDirectory)) {
      try {
        hostDirectory = Files.createTempDirectory("capsule-root");
        hostDirectory.toFile().deleteOnExit();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the virtual root directory", e);
      }
    }
    return hostDirectory;
  }

  /** The name a served mount's hidden preopen gets (never {@code /}, so never the root's). */
  static String hiddenName(Mount mount) {
    String name = stripPrefixes(mount.guestPath());
    return name.isEmpty() ? "." : name;
  }

  /** Whether {@code dirFd} is the root. */
  boolean isRoot(int dirFd) {
    return dirFd == fd;
  }

  /**
   * Where a path relative to the root goes.
   *
   * @throws Refusal {@code ENOENT} when no mount's name is a prefix of it
   */
  Route route(String path) {
    String p = path.equals(".") ? "" : path;
    int best = -1;
    int bestLength = 0;
    for (int i = entries.size() - 1; i >= 0; i--) {
      String prefix = entries.get(i).prefix();
      if ((best < 0 || prefix.length() > bestLength) && prefixMatches(prefix, p)) {
        best = i;
        bestLength = prefix.length();
      }
    }
    if (best < 0) {
      throw Refusal.error(WasiAbi.ENOENT);
    }
    int start = bestLength;
    while (start < p.length() && p.charAt(start) == '/') {
      start++;
    }
    String rest = p.substring(start);
    return new Route(entries.get(best).fd(), rest.isEmpty() ? "." : rest);
  }

  /** wasi-libc's {@code prefix_matches}: the prefix covers whole path components. */
  private static boolean prefixMatches(String prefix, String path) {
    if (prefix.isEmpty() && !path.startsWith("/")) {
      return true;
    }
    if (!path.startsWith(prefix)) {
      return false;
    }
    int end = prefix.length();
    while (end > 0 && prefix.charAt(end - 1) == '/') {
      end--;
    }
    return end == path.length() || path.charAt(end) == '/';
  }

  /** wasi-libc's {@code strip_prefixes}, applied to preopen names when they are registered. */
  private static String stripPrefixes(String name) {
    int i = 0;
    while (true) {
      if (name.startsWith("/", i)) {
        i++;
      } else if (name.startsWith("./", i)) {
        i += 2;
      } else if (name.startsWith(".", i) && i + 1 == name.length()) {
        i++;
      } else {
        return name.substring(i);
      }
    }
  }
}
