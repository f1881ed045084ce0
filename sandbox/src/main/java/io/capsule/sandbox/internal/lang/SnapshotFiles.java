package io.capsule.sandbox.internal.lang;

import io.capsule.sandbox.internal.SignedFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Interpreter snapshots on disk, {@code snapshots/NAME} under a cache directory, authenticated like
 * the other cache entries: a snapshot is the memory every Python or JavaScript task of this
 * installation starts from, so one planted in the cache (or a damaged one) is ignored and made
 * again rather than restored — and its header is never trusted to size an allocation.
 */
public final class SnapshotFiles {
  private final SignedFiles files;

  /** The snapshots of the cache directory {@code cacheDir}. */
  public SnapshotFiles(Path cacheDir) {
    this.files = new SignedFiles(cacheDir, Path.of("snapshots"), "reactor-snapshot");
  }

  /** The snapshot stored as {@code name}, or null when there is none this installation made. */
  public ReactorSnapshot read(String name) {
    byte[] bytes = files.read(name, List.of(name));
    if (bytes == null) {
      return null;
    }
    try {
      return ReactorSnapshot.readFrom(new ByteArrayInputStream(bytes));
    } catch (IOException e) {
      return null; // authentic but of another format: made again
    }
  }

  /** Stores {@code snapshot} as {@code name}; a failure only costs the next process a new one. */
  public void write(String name, ReactorSnapshot snapshot) {
    try {
      var bytes = new ByteArrayOutputStream();
      snapshot.writeTo(bytes);
      files.write(name, List.of(name), bytes.toByteArray());
    } catch (IOException e) {
      // the disk copy only saves start-up time
    }
  }
}
