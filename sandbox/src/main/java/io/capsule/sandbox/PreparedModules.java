package io.capsule.sandbox;

import io.capsule.protocol.BoundedMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The prepared modules a sandbox (and its views) keep in memory by content hash, the least recently
 * used dropped past {@value #SIZE}: task modules, artifacts and interpreters alike.
 */
final class PreparedModules {
  private static final int SIZE = 64;

  private final Map<String, PreparedModule> modules = BoundedMap.leastRecentlyUsed(SIZE);

  /**
   * The module kept under {@code sha256}, or the one {@code preparation} makes, then kept. Two
   * callers asking at once may both prepare it; the last one is kept.
   */
  PreparedModule get(String sha256, Supplier<PreparedModule> preparation) {
    PreparedModule module = modules.get(sha256);
    if (module == null) {
      module = preparation.get();
      modules.put(sha256, module);
    }
    return module;
  }

  /** Keeps {@code module} unless one with its hash is kept already; returns {@code module}. */
  PreparedModule remember(PreparedModule module) {
    modules.putIfAbsent(module.sha256(), module);
    return module;
  }
}
