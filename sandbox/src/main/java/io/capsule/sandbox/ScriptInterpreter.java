package io.capsule.sandbox;

/**
 * How a sandbox prepares the tasks of one script language ({@link PythonInterpreter}, {@link
 * JavaScriptInterpreter}): the interpreter bound to a script, preparation ahead of the first task,
 * and whether that preparation is done.
 */
interface ScriptInterpreter {
  /** The interpreter (fetched and prepared on first use) bound to {@code script}. */
  PreparedModule prepare(GuestScript script);

  /** The interpreter module {@code wasm} (read with a task file) bound to {@code script}. */
  PreparedModule bind(byte[] wasm, GuestScript script);

  /**
   * Does the one-time preparation now; whether anything had to be made.
   *
   * @throws io.capsule.protocol.InternalException when it cannot be prepared
   */
  boolean prepareAhead();

  /** Whether a task would start without fetching or making anything. */
  boolean isReady();
}
