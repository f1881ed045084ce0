package io.capsule.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The {@code capsule} import module of guest ABI v1: {@code set_result(ptr, len)} gives the result
 * JSON directly instead of stdout; {@code log(ptr, len)} writes a line to the captured logs. One
 * instance per attempt.
 */
final class HostImports {
  static final String MODULE = "capsule";
  private static final int MAX_RESULT_BYTES = 16 << 20;
  private static final FunctionType PTR_LEN =
      FunctionType.of(List.of(ValType.I32, ValType.I32), List.of());

  private final OutputStream logs;
  private byte[] result;

  HostImports(OutputStream logs) {
    this.logs = logs;
  }

  /** The bytes given to {@code set_result}, or {@code null} when it was not called. */
  byte[] result() {
    return result;
  }

  /** Sets the result as {@code set_result} does, for guests that reach the host another way. */
  void result(byte[] bytes) {
    result = bytes;
  }

  HostFunction[] functions() {
    return new HostFunction[] {
      new HostFunction(MODULE, "set_result", PTR_LEN, this::setResult),
      new HostFunction(MODULE, "log", PTR_LEN, this::log)
    };
  }

  private long[] setResult(Instance instance, long... args) {
    int len = (int) args[1];
    if (len < 0 || len > MAX_RESULT_BYTES) {
      throw new com.dylibso.chicory.runtime.TrapException(
          "capsule.set_result: result of " + len + " bytes exceeds " + MAX_RESULT_BYTES);
    }
    result = instance.memory().readBytes((int) args[0], len);
    return null;
  }

  private long[] log(Instance instance, long... args) {
    byte[] line = instance.memory().readBytes((int) args[0], (int) args[1]);
    var out = new ByteArrayOutputStream(line.length + 1);
    out.writeBytes(line);
    if (line.length == 0 || line[line.length - 1] != '\n') {
      out.write('\n');
    }
    try {
      logs.write(out.toByteArray());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return null;
  }

  static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
