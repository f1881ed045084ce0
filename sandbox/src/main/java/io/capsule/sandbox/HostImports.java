package io.capsule.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.capsule.sandbox.internal.HostCallCharges;
import io.capsule.sandbox.internal.wasi.BoundedOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The {@code capsule} import module of guest ABI v1: {@code set_result(ptr, len)} gives the result
 * JSON directly instead of stdout; {@code log(ptr, len)} writes a line to the captured logs. One
 * instance per attempt. The host memory they take (the result kept, a chunk of a line) is charged
 * by {@link HostCallCharges}, which wraps them.
 */
final class HostImports {
  static final String MODULE = "capsule";
  private static final int MAX_RESULT_BYTES = HostCallCharges.MAX_RESULT_BYTES;
  private static final long PAGE = 65_536;
  private static final FunctionType PTR_LEN =
      FunctionType.of(List.of(ValType.I32, ValType.I32), List.of());

  private final BoundedOutput logs;
  private byte[] result;

  HostImports(BoundedOutput logs) {
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
      throw new TrapException(
          "capsule.set_result: result of " + len + " bytes exceeds " + MAX_RESULT_BYTES);
    }
    result = instance.memory().readBytes((int) args[0], len);
    return null;
  }

  /**
   * Copies the line to the logs in chunks of at most {@link HostCallCharges#LOG_CHUNK} bytes, so a
   * line as long as the guest's memory never makes the host hold a copy of it; of a line longer
   * than a tail capture keeps, only the part it would keep is copied.
   */
  private long[] log(Instance instance, long... args) {
    Memory memory = instance.memory();
    int ptr = (int) args[0];
    int len = (int) args[1];
    if (len < 0 || Integer.toUnsignedLong(ptr) + len > memory.pages() * PAGE) {
      throw new TrapException("capsule.log: " + len + " bytes at " + ptr + " lie outside memory");
    }
    int from = 0;
    if (logs.keepsTail() && len > logs.limit()) {
      from = len - logs.limit();
      logs.skip(from);
    }
    try {
      for (int done = from; done < len; done += HostCallCharges.LOG_CHUNK) {
        logs.write(memory.readBytes(ptr + done, Math.min(HostCallCharges.LOG_CHUNK, len - done)));
      }
      if (len == 0 || memory.read(ptr + len - 1) != '\n') {
        logs.write('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return null;
  }

  static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
