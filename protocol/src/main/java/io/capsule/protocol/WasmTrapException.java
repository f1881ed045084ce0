package io.capsule.protocol;

/** The guest trapped: unreachable, out-of-bounds access, call-stack exhaustion and the like. */
public final class WasmTrapException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line reason. */
  public WasmTrapException(String message) {
    super(ErrorType.WASM_ERROR, message);
  }

  /** Creates the exception with a one-line reason and its cause. */
  public WasmTrapException(String message, Throwable cause) {
    super(ErrorType.WASM_ERROR, message, cause);
  }
}
