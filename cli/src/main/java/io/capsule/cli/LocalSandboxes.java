package io.capsule.cli;

import io.capsule.protocol.OperatorCeiling;
import io.capsule.sandbox.ExecutionMode;
import io.capsule.sandbox.Sandbox;
import java.nio.file.Path;
import java.util.Map;

/** Long-lived sandboxes that local runs share (the daemon's), one per execution mode. */
interface LocalSandboxes {
  /**
   * A sandbox in {@code mode} for one caller; closing it must not stop the shared one.
   *
   * @param filesRoot the caller's working directory
   * @param environment the caller's variables
   * @param ceiling the caller's operator grant, bounding every task of the run
   */
  Sandbox forCaller(
      ExecutionMode mode, Path filesRoot, Map<String, String> environment, OperatorCeiling ceiling);
}
