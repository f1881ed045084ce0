package io.capsule.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstallationKeyTest {
  private static final byte[] CONTENT = {1, 2, 3};

  @TempDir Path tmp;

  private Path cache() {
    return tmp.resolve("cache");
  }

  private static byte[] tag(InstallationKey key) {
    return key.tag("purpose", List.of("id"), CONTENT);
  }

  @Test
  void theKeyIsMadeOnceAsAPrivateFileAndKeptAcrossLoads() throws Exception {
    InstallationKey first = InstallationKey.of(cache());
    Path file = cache().resolve(InstallationKey.FILE_NAME);

    assertThat(Files.getPosixFilePermissions(file))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.size(file)).isEqualTo(32);
    assertThat(Files.getPosixFilePermissions(cache()))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(tag(InstallationKey.of(cache()))).isEqualTo(tag(first));
    assertThat(tag(InstallationKey.of(tmp.resolve("other")))).isNotEqualTo(tag(first));
  }

  @Test
  void processesRacingToMakeTheKeyAllGetTheSameOne() throws Exception {
    Callable<byte[]> load = () -> tag(InstallationKey.of(cache()));
    var pool = Executors.newFixedThreadPool(8);
    try {
      var tags = pool.invokeAll(IntStream.range(0, 8).mapToObj(i -> load).toList());
      byte[] expected = tags.get(0).get();
      for (var t : tags) {
        assertThat(t.get()).isEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theTagCoversPurposeIdentityAndContent() throws Exception {
    InstallationKey key = InstallationKey.of(cache());
    byte[] tag = tag(key);

    assertThat(key.verifies(tag, "purpose", List.of("id"), CONTENT, 0, 3)).isTrue();
    assertThat(key.verifies(tag, "other", List.of("id"), CONTENT, 0, 3)).isFalse();
    assertThat(key.verifies(tag, "purpose", List.of("id2"), CONTENT, 0, 3)).isFalse();
    assertThat(key.verifies(tag, "purpose", List.of("i", "d"), CONTENT, 0, 3)).isFalse();
    assertThat(key.verifies(tag, "purpose", List.of("id"), new byte[] {1, 2, 4}, 0, 3)).isFalse();
    assertThat(key.verifies(null, "purpose", List.of("id"), CONTENT, 0, 3)).isFalse();
  }

  @Test
  void aKeyOthersCanReadIsRefused() throws Exception {
    InstallationKey.of(cache());
    Files.setPosixFilePermissions(
        cache().resolve(InstallationKey.FILE_NAME), PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> InstallationKey.of(cache()))
        .isInstanceOf(UntrustedCacheException.class)
        .hasMessageContaining("rw-r--r--");
  }

  @Test
  void aKeyThatIsALinkIsRefused() throws Exception {
    InstallationKey.of(tmp.resolve("real"));
    Files.createDirectories(cache());
    Files.setPosixFilePermissions(cache(), PosixFilePermissions.fromString("rwx------"));
    Files.createSymbolicLink(
        cache().resolve(InstallationKey.FILE_NAME),
        tmp.resolve("real").resolve(InstallationKey.FILE_NAME));

    assertThatThrownBy(() -> InstallationKey.of(cache()))
        .isInstanceOf(UntrustedCacheException.class)
        .hasMessageContaining("symbolic link");
  }

  @Test
  void aKeyOfTheWrongLengthIsRefused() throws Exception {
    InstallationKey.of(cache());
    Files.write(cache().resolve(InstallationKey.FILE_NAME), new byte[8]);

    assertThatThrownBy(() -> InstallationKey.of(cache()))
        .isInstanceOf(UntrustedCacheException.class)
        .hasMessageContaining("32-byte");
  }

  @Test
  void aCacheFolderOthersCanWriteIsRefused() throws Exception {
    Files.createDirectories(cache());
    Files.setPosixFilePermissions(cache(), PosixFilePermissions.fromString("rwxr-xrwx"));

    assertThatThrownBy(() -> InstallationKey.of(cache()))
        .isInstanceOf(UntrustedCacheException.class)
        .hasMessageContaining("rwxr-xrwx");
  }

  @Test
  void aGroupWritableFolderIsRefusedUnlessItsGroupIsTheOwnersOwn() throws Exception {
    Files.createDirectories(cache());
    Files.setPosixFilePermissions(cache(), PosixFilePermissions.fromString("rwxrwxr-x"));
    var view = Files.getFileAttributeView(cache(), PosixFileAttributeView.class);
    String owner = view.readAttributes().owner().getName();
    Assumptions.assumeTrue(
        view.readAttributes().group().getName().equals(owner), "files get the user's own group");

    InstallationKey.of(cache()); // umask 002 on a user-private-group system: accepted

    var lookup = cache().getFileSystem().getUserPrincipalLookupService();
    try {
      view.setGroup(lookup.lookupPrincipalByGroupName("users"));
    } catch (IOException e) {
      Assumptions.abort("cannot give the folder another group here: " + e);
    }
    assertThatThrownBy(() -> InstallationKey.of(cache()))
        .isInstanceOf(UntrustedCacheException.class)
        .hasMessageContaining("rwxrwxr-x");
  }

  @Test
  void aSubfolderThatIsALinkIsRefused() throws Exception {
    Path root = OwnerOnly.checkRoot(cache());
    Files.createDirectories(tmp.resolve("elsewhere"));
    Files.createSymbolicLink(root.resolve("compiled"), tmp.resolve("elsewhere"));

    assertThatThrownBy(() -> OwnerOnly.checkFolders(root, Path.of("compiled", "x")))
        .isInstanceOf(UntrustedCacheException.class)
        .hasMessageContaining("symbolic link");
  }
}
