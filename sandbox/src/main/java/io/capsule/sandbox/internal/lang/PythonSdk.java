package io.capsule.sandbox.internal.lang;

import io.capsule.protocol.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The Python guest SDK ({@code capsule} package and the boot script), copied from this jar into the
 * cache directory once per content and mounted read-only at {@value #GUEST_PATH}.
 */
public final class PythonSdk {
  /** Where the guest sees the SDK. */
  public static final String GUEST_PATH = "/capsule-sdk";

  /**
   * CPython's arguments: put the SDK on the path and run the boot script. {@code -B}: write no
   * {@code __pycache__}, as a {@code .wasm} task writes nothing it was not asked to (the SDK mount
   * is read-only, and a refused write would be blamed for any later failure of the task).
   */
  public static final List<String> ARGV =
      List.of(
          "python",
          "-B",
          "-c",
          // No bytecode cache: the SDK is mounted read-only, and a refused __pycache__ write
          // would be blamed for any later task error (permission_denied instead of task_error).
          "import sys; sys.dont_write_bytecode = True; sys.path.insert(0, '"
              + GUEST_PATH
              + "'); import _capsule_boot");

  private static final String BASE = "/io/capsule/sandbox/sdk/python/";
  private static final List<String> FILES =
      List.of("capsule/__init__.py", "capsule/_http.py", "capsule/http.py", "_capsule_boot.py");

  private PythonSdk() {}

  /** The SDK directory under {@code cacheDir}, written on first use. */
  public static synchronized Path directory(Path cacheDir) {
    try {
      byte[][] contents = new byte[FILES.size()][];
      var all = new java.io.ByteArrayOutputStream();
      for (int i = 0; i < FILES.size(); i++) {
        try (InputStream in = PythonSdk.class.getResourceAsStream(BASE + FILES.get(i))) {
          contents[i] = in.readAllBytes();
        }
        all.writeBytes(contents[i]);
      }
      Path dir =
          cacheDir
              .resolve("sdk")
              .resolve("python-" + Sha256.hex(all.toByteArray()).substring(0, 16));
      if (!Files.isDirectory(dir)) {
        Path tmp =
            Files.createTempDirectory(Files.createDirectories(cacheDir.resolve("sdk")), "python");
        for (int i = 0; i < FILES.size(); i++) {
          Path file = tmp.resolve(FILES.get(i));
          Files.createDirectories(file.getParent());
          Files.write(file, contents[i]);
        }
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Python SDK into " + cacheDir, e);
    }
  }
}
