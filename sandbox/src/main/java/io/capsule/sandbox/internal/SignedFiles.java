package io.capsule.sandbox.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;

/**
 * One folder of cache entries that only this installation can have written: each file is the {@link
 * InstallationKey} tag of its content (for this folder's purpose and the entry's identity) followed
 * by the content. An entry that is a link, not a regular file, or fails the tag is deleted and
 * reads as a miss (the caller makes it again), with one warning per process. When the key or a
 * folder is refused, every read misses and nothing is written.
 */
public final class SignedFiles {
  private final Path root;
  private final Path relative;
  private final String purpose;
  private volatile Access access;

  /** What the first use found: the key and the checked folder, or why there are none. */
  private record Access(InstallationKey key, Path folder) {}

  /** Entries in {@code root/relative}, tagged for {@code purpose}. */
  public SignedFiles(Path root, Path relative, String purpose) {
    this.root = root;
    this.relative = relative;
    this.purpose = purpose;
  }

  /** The content of entry {@code name} if it is authentic for {@code identity}, else null. */
  public byte[] read(String name, List<String> identity) {
    Access a = access();
    if (a.key() == null) {
      return null;
    }
    Path file = a.folder().resolve(name);
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isRegularFile()) {
        return reject(file, "is not a regular file");
      }
      byte[] bytes;
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        bytes = in.readAllBytes();
      }
      int tagged = InstallationKey.TAG_BYTES;
      byte[] tag = bytes.length < tagged ? null : Arrays.copyOf(bytes, tagged);
      if (!a.key().verifies(tag, purpose, identity, bytes, tagged, bytes.length - tagged)) {
        return reject(file, "failed its authentication (altered, damaged or not made here)");
      }
      CacheUse.markUsed(file);
      return Arrays.copyOfRange(bytes, tagged, bytes.length);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      return reject(file, "cannot be read (" + e.getMessage() + ")");
    }
  }

  /** Whether entry {@code name} exists (it is checked when read). */
  public boolean exists(String name) {
    Access a = access();
    return a.key() != null && Files.exists(a.folder().resolve(name), LinkOption.NOFOLLOW_LINKS);
  }

  /** Stores {@code content} as entry {@code name}, tagged for {@code identity}. */
  public void write(String name, List<String> identity, byte[] content) throws IOException {
    Access a = access();
    if (a.key() == null) {
      return;
    }
    byte[] tag = a.key().tag(purpose, identity, content);
    AtomicFiles.publish(
        a.folder().resolve(name),
        out -> {
          out.write(tag);
          out.write(content);
        });
  }

  private byte[] reject(Path file, String why) {
    try {
      Files.deleteIfExists(file); // a link itself, never its target
    } catch (IOException e) {
      // then it is refused again next time
    }
    CacheWarnings.once(
        "entry:" + purpose,
        "ignored cache entry "
            + file
            + ": it "
            + why
            + "; made again from the module (further ones are not reported)");
    return null;
  }

  private Access access() {
    Access a = access;
    if (a == null) {
      synchronized (this) {
        a = access;
        if (a == null) {
          a = open();
          access = a;
        }
      }
    }
    return a;
  }

  private Access open() {
    try {
      InstallationKey key = InstallationKey.of(root);
      Path folder = OwnerOnly.checkFolders(root.toRealPath(), relative);
      return new Access(key, folder);
    } catch (IOException e) {
      CacheWarnings.once(
          "refused:" + root,
          "not using the cache in " + root + ": " + e.getMessage() + "; working without it");
      return new Access(null, null);
    }
  }
}
