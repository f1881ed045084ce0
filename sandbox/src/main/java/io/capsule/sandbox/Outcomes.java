package io.capsule.sandbox;

import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.UnlinkableException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.InternalException;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.MemoryLimitException;
import io.capsule.protocol.PermissionDeniedException;
import io.capsule.protocol.TaskFailedException;
import io.capsule.protocol.WasmTrapException;
import io.capsule.sandbox.internal.ResourceAccount;
import io.capsule.sandbox.internal.lang.GuestError;
import io.capsule.sandbox.internal.wasi.Denial;
import io.capsule.sandbox.internal.wasi.GuardedWasi;

/**
 * Turns whatever a guest run threw into exactly one typed failure. This is the task boundary: the
 * only place that catches broadly.
 */
final class Outcomes {
  // strict (no trailing tokens), made once: a result is parsed for every task
  private static final ObjectReader RESULT_READER =
      CapsuleJson.mapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static final String STACK_EXHAUSTED = "call stack exhausted";

  private Outcomes() {}

  /**
   * Classifies a failure of a run.
   *
   * <p>A JVM error on the guest thread is the task's failure, not the host's: an {@link
   * OutOfMemoryError} is reported as {@code memory_limit} and a {@link StackOverflowError} as
   * {@code wasm_error}, and the sandbox serves on (the error has unwound the guest's stack and
   * released what it held).
   *
   * @param thrown what the run threw
   * @param account the attempt's resource account, which remembers a refused allocation
   * @param lastLog the last line the guest wrote to stderr, or empty
   */
  static CapsuleException classify(Throwable thrown, ResourceAccount account, String lastLog) {
    String refusal = account.refusal();
    if (thrown instanceof CapsuleException) {
      return (CapsuleException) thrown;
    }
    if (thrown.getCause() instanceof CapsuleException) {
      return (CapsuleException) thrown.getCause();
    }
    if (thrown instanceof WasiExitException) {
      return exited(((WasiExitException) thrown).exitCode(), refusal, lastLog);
    }
    if (thrown instanceof StackOverflowError || isStackExhausted(thrown)) {
      return new WasmTrapException(STACK_EXHAUSTED + " (recursion too deep)");
    }
    OutOfMemoryError outOfMemory = outOfMemory(thrown);
    if (outOfMemory != null) {
      return new MemoryLimitException(
          "the host ran out of memory running the task (" + message(outOfMemory) + ")", thrown);
    }
    if (thrown instanceof UninstantiableException || thrown instanceof UnlinkableException) {
      return new InvalidModuleException(
          "module cannot be instantiated: " + message(thrown), thrown);
    }
    if (thrown instanceof ChicoryException) {
      return refusal != null
          ? new MemoryLimitException(refusal + ", then trapped: " + message(thrown), thrown)
          : new WasmTrapException("trap: " + message(thrown), thrown);
    }
    return new InternalException("task runner failed: " + thrown, thrown);
  }

  /**
   * A task that failed after the file policy refused it something failed because of the refusal:
   * report {@code permission_denied} naming the first refusal. A task that handled a refusal and
   * went on to succeed keeps its success; timeouts, fuel and memory keep their own type.
   */
  static CapsuleException blameDenials(
      CapsuleException failure, GuardedWasi wasi, java.util.Optional<String> hostDenial) {
    boolean guestFailure =
        failure.errorType() == ErrorType.TASK_ERROR || failure.errorType() == ErrorType.WASM_ERROR;
    if (!guestFailure) {
      return failure;
    }
    if (hostDenial.isPresent()) {
      return new PermissionDeniedException(hostDenial.get() + ", then " + failure.getMessage());
    }
    if (wasi == null || wasi.denials().isEmpty()) {
      return failure;
    }
    Denial first = wasi.denials().get(0);
    return new PermissionDeniedException(
        first.operation()
            + " on '"
            + first.path()
            + "' refused ("
            + first.reason().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
            + "), then "
            + failure.getMessage());
  }

  /**
   * The failure an interpreter's guest reported: a syntax error while its boot code loaded the task
   * file is {@code invalid_module} (it fails the same way every time), an out-of-memory error after
   * the {@code ram} cap refused a growth is {@code memory_limit}, anything else {@code task_error};
   * each message names the file and line where the guest said it happened.
   */
  static CapsuleException reported(GuestError error, ResourceAccount account) {
    if (error.isSyntaxError()) {
      return new InvalidModuleException(error.message());
    }
    String refusal = account.refusal();
    if (refusal != null && error.isOutOfMemory()) {
      return new MemoryLimitException(refusal + ", then " + error.message());
    }
    return new TaskFailedException(error.message());
  }

  private static CapsuleException exited(int code, String refusal, String lastLog) {
    String detail = lastLog.isEmpty() ? "" : ": " + bounded(lastLog);
    if (refusal != null) {
      return new MemoryLimitException(refusal + ", then exited with code " + code + detail);
    }
    return new TaskFailedException("task exited with code " + code + detail);
  }

  /** A guest's text quoted in a message: at most {@value GuestError#MAX_TEXT} characters. */
  static String bounded(String text) {
    return text.length() <= GuestError.MAX_TEXT
        ? text
        : text.substring(0, GuestError.MAX_TEXT - 1) + "…";
  }

  private static OutOfMemoryError outOfMemory(Throwable thrown) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof OutOfMemoryError) {
        return (OutOfMemoryError) t;
      }
    }
    return null;
  }

  private static boolean isStackExhausted(Throwable thrown) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof StackOverflowError
          || (t.getMessage() != null && t.getMessage().contains(STACK_EXHAUSTED))) {
        return true;
      }
    }
    return false;
  }

  private static String message(Throwable t) {
    return ModulePreparer.oneLine(
        t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName());
  }

  /**
   * The result a guest printed: its JSON, or the text as a JSON string when it is not JSON, or
   * {@code null} when it printed nothing.
   */
  static JsonNode parseResult(String printed) {
    String text = printed.strip();
    if (text.isEmpty()) {
      return NullNode.getInstance();
    }
    try {
      return RESULT_READER.readTree(text);
    } catch (java.io.IOException | RuntimeException e) {
      return TextNode.valueOf(text);
    }
  }
}
