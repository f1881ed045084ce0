package io.capsule.sandbox.internal.meter;

/**
 * Where a function keeps its running fuel count. Both places give the same (exact) count; they
 * differ only in speed. A Chicory global access costs an import-count check, a bounds check and an
 * array load that the JIT does not hoist, while a wasm local becomes a JVM {@code long}; but a
 * local must be written back to the global around every call.
 */
enum MeteringStrategy {
  /** Functions with loops count in a local, loop-free functions charge the global (default). */
  HYBRID,
  /** Every function counts in a local. */
  LOCAL,
  /** Every function charges the global directly. */
  GLOBAL;

  /** Whether a function of this shape counts in a local. */
  boolean countsInLocal(FunctionShape shape) {
    if (shape.catchesExceptions()) {
      // A caught exception skips the write-back of the frames it unwinds: count in the global.
      return false;
    }
    return this == LOCAL || (this == HYBRID && shape.hasLoop());
  }
}
