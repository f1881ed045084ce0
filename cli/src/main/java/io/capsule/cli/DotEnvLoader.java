package io.capsule.cli;

import java.nio.file.Path;
import java.util.Map;

/**
 * The environment a local run's allowlist picks from: the process environment plus {@code .env}.
 */
final class DotEnvLoader {
  private DotEnvLoader() {}

  static Map<String, String> environment(Path cwd) {
    return io.capsule.sandbox.SandboxConfig.hostEnvironmentWithDotEnv(cwd);
  }
}
