package io.capsule.sandbox.internal;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.runtime.StackFrame;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.Deque;

/**
 * Chicory's interpreter with each call frame charged to the attempt's {@link ResourceAccount} while
 * it is on the stack. The interpreter keeps a frame's locals on the heap (about 16 bytes per
 * local), so deep recursion through a function with many locals would otherwise fill the host's
 * heap long before the thread's stack overflows.
 */
public final class AccountedInterpreter extends InterpreterMachine {
  /** Host bytes per parameter or local in a frame: a {@code long}, its type and its index. */
  static final long LOCAL_BYTES = 16;

  /** Host bytes of a frame beside its locals (the frame, its control stack, the arguments). */
  static final long FRAME_BYTES = 160;

  private final ResourceAccount account;

  /** An interpreter for {@code instance} charging {@code account}. */
  public AccountedInterpreter(Instance instance, ResourceAccount account) {
    super(instance);
    this.account = account;
  }

  @Override
  protected long[] call(
      MStack stack,
      Instance instance,
      Deque<StackFrame> callStack,
      int funcId,
      long[] args,
      FunctionType callType,
      boolean popResults) {
    long bytes = frameBytes(instance, funcId);
    account.chargeFrame(bytes);
    try {
      return super.call(stack, instance, callStack, funcId, args, callType, popResults);
    } finally {
      account.releaseFrame(bytes);
    }
  }

  private static long frameBytes(Instance instance, int funcId) {
    FunctionBody body = instance.function(funcId);
    int params = instance.type(instance.functionType(funcId)).params().size();
    int locals = body == null ? 0 : body.localTypes().size();
    return FRAME_BYTES + LOCAL_BYTES * (params + locals);
  }
}
