package io.capsule.sandbox.internal.unwind;

/**
 * The pass cannot make a function resumable: it holds a construct the pass does not model (block
 * parameters, exception handling, reference-typed locals, an unknown opcode, …). The message names
 * the function and the construct; the caller keeps the module as it was (for CPython: tasks start
 * cold, see {@code PythonSnapshots}).
 */
public final class AsyncifyRefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  AsyncifyRefusedException(String message) {
    super(message);
  }
}
