package io.capsule.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.ResultEnvelope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the script task tests share: one sandbox over a temporary files root, with the interpreters
 * (and the Python snapshot) in the build's shared test cache (never the user's), so they are
 * prepared once for every test class and module.
 */
final class ScriptSandbox implements AutoCloseable {
  static final Path CACHE =
      Path.of(System.getProperty("capsule.test.shared.cache", "target/shared-test-cache"));

  private final Path files;
  private final Sandbox sandbox;

  /** A sandbox whose files root is {@code files} and whose host variables are {@code env}. */
  ScriptSandbox(Path files, Map<String, String> env) {
    this.files = files;
    this.sandbox =
        Sandbox.create(
            SandboxConfig.builder()
                .withCacheDir(CACHE)
                .withFilesRoot(files)
                .withEnvironment(env)
                .withHttp(HttpConfig.builder().withPrivateHosts(List.of("127.0.0.1")).build())
                .build());
  }

  /** The sandbox itself. */
  Sandbox sandbox() {
    return sandbox;
  }

  /** Reads {@code fileName} (under the files root) as a task file. */
  TaskFile read(String fileName) throws IOException {
    return TaskFile.read(files.resolve(fileName), CACHE);
  }

  /**
   * Writes {@code source} as {@code fileName} under the files root and runs its task {@code task}
   * with {@code args} and the task's declared options.
   */
  ResultEnvelope run(String fileName, String source, String task, List<JsonNode> args)
      throws IOException {
    Files.writeString(files.resolve(fileName), source);
    TaskFile file = read(fileName);
    return sandbox.run(sandbox.prepare(file), new TaskCall(file.script().optionsOf(task), args));
  }

  @Override
  public void close() {
    sandbox.close();
  }
}
