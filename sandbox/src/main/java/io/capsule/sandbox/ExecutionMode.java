package io.capsule.sandbox;

/** How module code runs. Fuel counts identically in both. */
public enum ExecutionMode {
  /** Chicory's runtime compiler: JVM bytecode, compiled once per module and cached. The default. */
  COMPILED,
  /** Chicory's interpreter: no compile step, about 100× slower. For debugging and tests. */
  INTERPRETED
}
