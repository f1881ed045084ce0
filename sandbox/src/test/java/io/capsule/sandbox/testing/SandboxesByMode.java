package io.capsule.sandbox.testing;

import io.capsule.sandbox.ExecutionMode;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One sandbox per execution mode, all configured alike, for a test class whose cases must hold
 * compiled and interpreted: made in {@code @BeforeAll}, closed in {@code @AfterAll}.
 */
public final class SandboxesByMode implements AutoCloseable {
  private final Map<ExecutionMode, Sandbox> sandboxes = new EnumMap<>(ExecutionMode.class);

  private SandboxesByMode() {}

  /** Sandboxes caching in {@code cache}, with the defaults otherwise. */
  public static SandboxesByMode create(Path cache) {
    return create(cache, UnaryOperator.identity());
  }

  /** Sandboxes caching in {@code cache}, each configured further by {@code configure}. */
  public static SandboxesByMode create(Path cache, UnaryOperator<SandboxConfig.Builder> configure) {
    SandboxesByMode made = new SandboxesByMode();
    for (ExecutionMode mode : ExecutionMode.values()) {
      SandboxConfig.Builder builder =
          SandboxConfig.builder().withExecutionMode(mode).withCacheDir(cache);
      made.sandboxes.put(mode, Sandbox.create(configure.apply(builder).build()));
    }
    return made;
  }

  /** The sandbox of {@code mode}. */
  public Sandbox get(ExecutionMode mode) {
    return sandboxes.get(mode);
  }

  @Override
  public void close() {
    sandboxes.values().forEach(Sandbox::close);
  }
}
