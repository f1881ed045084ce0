package io.capsule.sandbox.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Publishes cache files so that no reader, in this process or another, ever sees a half-written
 * one: write a temporary file next to the target, then move it into place atomically (replacing an
 * older copy; where the file system cannot move atomically, a plain replace).
 */
public final class AtomicFiles {
  /** Writes a file's content. */
  @FunctionalInterface
  public interface Content {
    /** Writes everything to {@code out}. */
    void writeTo(OutputStream out) throws IOException;
  }

  private AtomicFiles() {}

  /** Publishes {@code bytes} as {@code file}. */
  public static void publish(Path file, byte[] bytes) throws IOException {
    publish(file, out -> out.write(bytes));
  }

  /**
   * Publishes what {@code content} writes as {@code file}, creating its missing folders private to
   * this user ({@code rwx------}).
   */
  public static void publish(Path file, Content content) throws IOException {
    createFolders(file.getParent());
    Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".part");
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        content.writeTo(out);
      }
      move(tmp, file);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void createFolders(Path dir) throws IOException {
    if (dir == null || Files.isDirectory(dir)) {
      return;
    }
    createFolders(dir.getParent());
    OwnerOnly.createFolder(dir);
  }

  /** Moves a finished temporary file into place. */
  public static void move(Path tmp, Path file) throws IOException {
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
