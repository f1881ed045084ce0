package io.capsule.cli;

import io.capsule.protocol.OperatorCeiling;
import io.capsule.sandbox.ExecutionMode;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The daemon's long-lived sandboxes, one per execution mode, made on first use: every request
 * shares their prepared modules, interpreter snapshots and compiled classes, and sees them through
 * {@link Sandbox#forCaller} with its own files root and environment.
 */
final class DaemonSandboxes implements LocalSandboxes, AutoCloseable {
  private final Path home;
  private final Map<ExecutionMode, Sandbox> roots = new ConcurrentHashMap<>();

  /**
   * @param home the files root of tasks the daemon runs for itself (its warm-up)
   */
  DaemonSandboxes(Path home) {
    this.home = home;
  }

  /** The shared sandbox of {@code mode}. */
  Sandbox root(ExecutionMode mode) {
    return roots.computeIfAbsent(
        mode,
        m ->
            Sandbox.create(
                SandboxConfig.builder()
                    .withExecutionMode(m)
                    .withFilesRoot(home)
                    .withEnvironment(Map.of())
                    .build()));
  }

  @Override
  public Sandbox forCaller(
      ExecutionMode mode,
      Path filesRoot,
      Map<String, String> environment,
      OperatorCeiling ceiling) {
    return root(mode).forCaller(filesRoot, environment, ceiling);
  }

  @Override
  public void close() {
    roots.values().forEach(Sandbox::close);
  }
}
