package io.capsule.sandbox.internal.wasi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mounts are fixed for the attempt: a guest cannot move them, and their mode follows the file. */
class MountsFixedTest {
  private static final int EBADF = 8;
  private static final int ENOENT = 44;
  private static final int EROFS = 69;

  @TempDir Path root;
  private Path ro;

  @BeforeEach
  void layout() throws IOException {
    ro = Files.createDirectories(root.resolve("data/ro"));
    Files.writeString(ro.resolve("secret.txt"), "secret");
  }

  @Test
  void renamingTheParentOfAReadOnlyMountIsRefusedAndItsFilesStayUnchanged() throws IOException {
    var steps =
        new WasiSteps()
            .rename("data", "data2")
            .openToOverwrite("data2/ro/secret.txt")
            .write("pwned")
            .openToOverwrite("data/ro/secret.txt")
            .write("pwned");

    var run = steps.run(nestedReadOnly());

    assertThat(run.errnos().get(0)).as(run.lines().toString()).isNotZero();
    assertThat(run.errnos().subList(1, 5)).containsExactly(ENOENT, EBADF, EROFS, EBADF);
    assertThat(ro.resolve("secret.txt")).hasContent("secret");
    assertThat(root.resolve("data2")).doesNotExist();
  }

  private WasiConfig.Builder nestedReadOnly() {
    return WasiConfig.builder()
        .withMount(Mount.readWrite(root, "."))
        .withMount(Mount.readOnly(ro, "data/ro"));
  }
}
