package io.capsule.cli;

import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.ProjectConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a local run happens: the caller's working directory and environment, the sandboxes it runs
 * in, and whether it may hand the task to the local daemon. A {@code capsule run} process runs in
 * its own directory and environment; the daemon runs each request in the caller's.
 */
final class LocalContext {
  private final Path cwd;
  private final Map<String, String> environment;
  private final LocalSandboxes sandboxes;
  private final boolean daemonAllowed;

  private LocalContext(
      Path cwd, Map<String, String> environment, LocalSandboxes sandboxes, boolean daemonAllowed) {
    this.cwd = cwd;
    this.environment = environment;
    this.sandboxes = sandboxes;
    this.daemonAllowed = daemonAllowed;
  }

  /**
   * This process's directory and environment (with {@code .env}), a new sandbox per run.
   *
   * @param daemonAllowed whether runs go through the local daemon (the {@code capsule} process
   *     itself; not tests or embedders calling {@link Main#execute})
   */
  static LocalContext inProcess(boolean daemonAllowed) {
    return new LocalContext(null, null, null, daemonAllowed);
  }

  /** A daemon request's caller: its directory and environment, the daemon's shared sandboxes. */
  static LocalContext forCaller(
      Path cwd, Map<String, String> environment, LocalSandboxes sandboxes) {
    return new LocalContext(cwd, Map.copyOf(environment), sandboxes, false);
  }

  /** The working directory: relative files and {@code allowed_files} resolve against it. */
  Path cwd() {
    return cwd != null ? cwd : Path.of("").toAbsolutePath();
  }

  /**
   * The task file a command runs: {@code given}, or else the {@code [workflow] entrypoint} of the
   * {@code capsule.toml} in the working directory (relative to it).
   *
   * @throws UsageException when neither is there
   */
  Path taskFile(Path given) {
    if (given != null) {
      return given;
    }
    Path entrypoint = project().entrypointPath();
    if (entrypoint == null) {
      throw new UsageException(
          "Missing required parameter: 'FILE' (no [workflow] entrypoint in "
              + cwd().resolve(ProjectConfig.FILE_NAME)
              + ")");
    }
    return entrypoint;
  }

  /** The {@code capsule.toml} of the working directory, or none. */
  ProjectConfig project() {
    try {
      return ProjectConfig.find(cwd());
    } catch (CapsuleException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /** The variables an {@code env_variables} allowlist picks from. */
  Map<String, String> environment() {
    return environment != null ? environment : DotEnvLoader.environment(cwd());
  }

  /** The daemon's sandboxes, or {@code null}: a new sandbox per run. */
  LocalSandboxes sandboxes() {
    return sandboxes;
  }

  boolean daemonAllowed() {
    return daemonAllowed;
  }
}
