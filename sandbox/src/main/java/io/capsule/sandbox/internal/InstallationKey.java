package io.capsule.sandbox.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret of one cache directory (one installation): 256 random bits in {@value #FILE_NAME},
 * mode {@code 0600}, created once. Everything Capsule turns back into host code or metered guest
 * code from the cache (compiled classes, instrumented modules) and the compiled classes of the
 * artifacts it builds carry an HMAC-SHA256 under this key over what they are for, who they belong
 * to and their bytes, so a file planted in the cache or shipped from elsewhere fails the check and
 * is never loaded. The key is refused ({@link UntrustedCacheException}) when it or the cache folder
 * is not this user's alone.
 */
public final class InstallationKey {
  /** The key file's name in the cache directory. */
  public static final String FILE_NAME = "installation.key";

  /** Bytes of an HMAC-SHA256 tag. */
  public static final int TAG_BYTES = 32;

  private static final int KEY_BYTES = 32;
  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  private InstallationKey(byte[] key) {
    this.key = new SecretKeySpec(key, ALGORITHM);
  }

  /**
   * The key of {@code cacheDir}, created now if it has none.
   *
   * @throws UntrustedCacheException when the folder or the key file may have been written by
   *     someone else (owner, mode, a link), or the key file is not a key
   */
  public static InstallationKey of(Path cacheDir) throws IOException {
    Path root = OwnerOnly.checkRoot(cacheDir);
    Path file = root.resolve(FILE_NAME);
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      create(file);
    }
    OwnerOnly.checkKeyFile(file);
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      bytes = in.readNBytes(KEY_BYTES + 1);
    }
    if (bytes.length != KEY_BYTES) {
      throw new UntrustedCacheException(file, "is not a " + KEY_BYTES + "-byte key");
    }
    return new InstallationKey(bytes);
  }

  /**
   * Writes a new key under a temporary name (created {@code 0600}) and links it into place, which
   * fails if another process got there first: then both use that one.
   */
  private static void create(Path file) throws IOException {
    byte[] key = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(key);
    Path tmp = Files.createTempFile(file.getParent(), FILE_NAME, ".part");
    try {
      Files.write(tmp, key);
      try {
        Files.createLink(file, tmp);
      } catch (FileAlreadyExistsException e) {
        // another process created it: use theirs
      } catch (UnsupportedOperationException | FileSystemException e) {
        Files.move(tmp, file); // no hard links here: fails if the file appeared meanwhile
      }
    } catch (FileAlreadyExistsException e) {
      // lost the race on a file system without hard links
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * The tag of {@code content[offset, offset + length)} for {@code purpose} (what the bytes are:
   * compiled classes, an instrumented module) and {@code identity} (which entry: module digest,
   * runtime or instrumenter version), each length-prefixed so no two inputs run together.
   */
  public byte[] tag(String purpose, List<String> identity, byte[] content, int offset, int length) {
    Mac mac = newMac();
    update(mac, purpose);
    mac.update(ByteBuffer.allocate(Integer.BYTES).putInt(identity.size()).array());
    identity.forEach(part -> update(mac, part));
    mac.update(ByteBuffer.allocate(Long.BYTES).putLong(length).array());
    mac.update(content, offset, length);
    return mac.doFinal();
  }

  /** {@link #tag} over all of {@code content}. */
  public byte[] tag(String purpose, List<String> identity, byte[] content) {
    return tag(purpose, identity, content, 0, content.length);
  }

  /** Whether {@code tag} is the tag of this content, compared in constant time. */
  public boolean verifies(
      byte[] tag, String purpose, List<String> identity, byte[] content, int offset, int length) {
    return tag != null
        && MessageDigest.isEqual(tag, tag(purpose, identity, content, offset, length));
  }

  private static void update(Mac mac, String part) {
    byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
    mac.update(ByteBuffer.allocate(Integer.BYTES).putInt(bytes.length).array());
    mac.update(bytes);
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is always available", e);
    }
  }
}
