package io.capsule.sandbox.internal;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Checks that the cache folders and the installation key are this user's alone: owned by the
 * current user, not writable by group or others (the key file not even readable by them), and not
 * symbolic links. Folders it creates are {@code rwx------}. Where the file system has no POSIX
 * permissions (Windows) only the link and type checks apply.
 *
 * <p>One exception, as Debian's OpenSSH makes for {@code ~/.ssh}: a folder may be group-writable
 * when its group is the owner's private group (named as the user), which is what {@code mkdir}
 * gives under the {@code umask 002} that user-private-group systems (Ubuntu, Debian) set.
 */
public final class OwnerOnly {
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS_WRITE =
      EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS_ANY =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);
  private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FOLDER =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private OwnerOnly() {}

  /**
   * Creates the cache root if missing and checks it; the root itself may be reached through a link
   * (a cache on another disk), so its real path is checked and returned.
   */
  public static Path checkRoot(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      if (isPosix(root.getFileSystem().supportedFileAttributeViews())) {
        Files.createDirectories(root, PRIVATE_FOLDER);
      } else {
        Files.createDirectories(root);
      }
    }
    Path real = root.toRealPath();
    checkFolder(real);
    return real;
  }

  /**
   * Creates (private) and checks each folder of {@code relative} below the checked {@code root},
   * returning the last one. None may be a link.
   */
  public static Path checkFolders(Path root, Path relative) throws IOException {
    Path dir = root;
    for (Path name : relative) {
      dir = dir.resolve(name.toString());
      createFolder(dir);
      checkFolder(dir);
    }
    return dir;
  }

  /** Creates one folder, private to this user, unless it exists. */
  public static void createFolder(Path dir) throws IOException {
    try {
      if (isPosix(dir.getFileSystem().supportedFileAttributeViews())) {
        Files.createDirectory(dir, PRIVATE_FOLDER);
      } else {
        Files.createDirectory(dir);
      }
    } catch (FileAlreadyExistsException e) {
      // checked by the caller
    }
  }

  /** A folder: not a link, this user's, not writable by others (nor its group, but see above). */
  static void checkFolder(Path dir) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      throw new UntrustedCacheException(dir, "is a symbolic link");
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new UntrustedCacheException(dir, "is not a folder");
    }
    checkOwnerAndMode(dir, refusedWrites(dir), "others may change it; chmod go-w it");
  }

  /** Write for others, and for the group unless it is the owner's private group. */
  private static Set<PosixFilePermission> refusedWrites(Path dir) throws IOException {
    var view =
        Files.getFileAttributeView(dir, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (view == null) {
      return GROUP_OR_OTHERS_WRITE;
    }
    PosixFileAttributes attributes = view.readAttributes();
    boolean privateGroup = attributes.group().getName().equals(attributes.owner().getName());
    return privateGroup ? EnumSet.of(PosixFilePermission.OTHERS_WRITE) : GROUP_OR_OTHERS_WRITE;
  }

  /** The key file: a regular file (not a link), this user's, no permission for group or others. */
  static void checkKeyFile(Path file) throws IOException {
    if (Files.isSymbolicLink(file)) {
      throw new UntrustedCacheException(file, "is a symbolic link");
    }
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new UntrustedCacheException(file, "is not a regular file");
    }
    checkOwnerAndMode(file, GROUP_OR_OTHERS_ANY, "others may read or change it; chmod 600 it");
  }

  private static void checkOwnerAndMode(Path path, Set<PosixFilePermission> refused, String why)
      throws IOException {
    var view =
        Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (view == null || !path.getFileSystem().supportedFileAttributeViews().contains("unix")) {
      return; // no POSIX owners and permissions here
    }
    PosixFileAttributes attributes = view.readAttributes();
    Object uid = Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (!(uid instanceof Integer owner) || owner != currentUid()) {
      throw new UntrustedCacheException(path, "is not owned by the current user (uid " + uid + ")");
    }
    Set<PosixFilePermission> granted = EnumSet.noneOf(PosixFilePermission.class);
    granted.addAll(attributes.permissions());
    granted.retainAll(refused);
    if (!granted.isEmpty()) {
      throw new UntrustedCacheException(
          path,
          "has mode " + PosixFilePermissions.toString(attributes.permissions()) + " (" + why + ")");
    }
  }

  private static boolean isPosix(Set<String> views) {
    return views.contains("posix") && views.contains("unix");
  }

  private static long currentUid() {
    return new UnixSystem().getUid();
  }
}
