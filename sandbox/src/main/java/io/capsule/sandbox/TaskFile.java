package io.capsule.sandbox;

import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.TaskOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A task read from a file: a {@code .wasm} module, WebAssembly text ({@code .wat}), or a built
 * artifact ({@code .capsule}, see {@link TaskArtifact}).
 *
 * @param path the file
 * @param wasm the module bytes
 * @param artifact the artifact when the file is one, else {@code null}
 */
public record TaskFile(Path path, byte[] wasm, TaskArtifact artifact) {

  /**
   * Reads a task file, choosing the format by content and extension.
   *
   * @throws NoSuchFileException when the file does not exist
   * @throws IOException when it cannot be read
   * @throws InvalidModuleException when WebAssembly text does not assemble or the format is not
   *     supported
   */
  public static TaskFile read(Path path) throws IOException {
    if (!Files.isRegularFile(path)) {
      throw new NoSuchFileException(path.toString(), null, "no such file");
    }
    if (TaskArtifact.isArtifact(path)) {
      TaskArtifact artifact = TaskArtifact.read(path);
      return new TaskFile(path, artifact.wasm(), artifact);
    }
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".wat") || name.endsWith(".wast")) {
      return new TaskFile(path, WatAssembler.assemble(path), null);
    }
    return new TaskFile(path, Files.readAllBytes(path), null);
  }

  /** The options baked into an artifact, or none. */
  public TaskOptions bakedOptions() {
    return artifact == null ? TaskOptions.NONE : artifact.options();
  }
}
