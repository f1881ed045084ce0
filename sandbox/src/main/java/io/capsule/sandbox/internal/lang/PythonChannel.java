package io.capsule.sandbox.internal.lang;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The Python SDK's way to the host: CPython cannot call the {@code capsule} imports, so it writes a
 * JSON request to stdin (file descriptor {@value #FD}, which wasi-libc knows is open) and reads the
 * answer (ten ASCII digits of length, then the JSON) from it; stdin reads return the task document
 * until an answer is pending. A request marked {@code "answer": false} (the notifications {@code
 * start}, {@code result}, {@code error}) gets no answer. This wraps WASI's {@code fd_write} and
 * {@code fd_read}; other descriptors pass through. The first read of stdin is where the task's own
 * work begins ({@code onTaskStart}).
 */
public final class PythonChannel {
  /** The channel's file descriptor: stdin, which the guest may also write to. */
  public static final int FD = 0;

  private static final int ERRNO_SUCCESS = 0;

  private final GuestRequests requests;
  private final Runnable onTaskStart;
  private byte[] answer = new byte[0];
  private int answerPos;
  private boolean started;

  /**
   * A channel answering with {@code requests}; {@code onTaskStart} runs on the first stdin read.
   */
  public PythonChannel(GuestRequests requests, Runnable onTaskStart) {
    this.requests = requests;
    this.onTaskStart = onTaskStart;
  }

  /** {@code wasi} with fd_read and fd_write wrapped. */
  public HostFunction[] wrap(HostFunction[] wasi) {
    HostFunction[] out = wasi.clone();
    for (int i = 0; i < out.length; i++) {
      HostFunction f = out[i];
      if (f.name().equals("fd_write")) {
        out[i] =
            new HostFunction(
                f.module(),
                f.name(),
                f.functionType(),
                (inst, args) -> args[0] == FD ? write(inst, args) : f.handle().apply(inst, args));
      } else if (f.name().equals("fd_read")) {
        out[i] =
            new HostFunction(
                f.module(), f.name(), f.functionType(), (inst, args) -> read(f, inst, args));
      }
    }
    return out;
  }

  private long[] read(HostFunction original, Instance instance, long[] args) {
    if (args[0] == 0 && !started) {
      started = true;
      onTaskStart.run();
    }
    if (args[0] != FD || answerPos >= answer.length) {
      return original.handle().apply(instance, args);
    }
    Memory memory = instance.memory();
    int iovs = (int) args[1];
    int total = 0;
    for (int i = 0; i < (int) args[2] && answerPos < answer.length; i++) {
      int ptr = memory.readInt(iovs + i * 8);
      int len = memory.readInt(iovs + i * 8 + 4);
      int n = Math.min(len, answer.length - answerPos);
      memory.write(ptr, answer, answerPos, n);
      answerPos += n;
      total += n;
    }
    memory.writeI32((int) args[3], total);
    return new long[] {ERRNO_SUCCESS};
  }

  private long[] write(Instance instance, long[] args) {
    Memory memory = instance.memory();
    int iovs = (int) args[1];
    var request = new ByteArrayOutputStream();
    for (int i = 0; i < (int) args[2]; i++) {
      int ptr = memory.readInt(iovs + i * 8);
      int len = memory.readInt(iovs + i * 8 + 4);
      request.writeBytes(memory.readBytes(ptr, len));
    }
    byte[] json = requests.handle(request.toByteArray());
    if (json != null) { // null: a notification, which nobody reads an answer to
      byte[] header = String.format("%010d", json.length).getBytes(StandardCharsets.US_ASCII);
      answer = new byte[header.length + json.length];
      System.arraycopy(header, 0, answer, 0, header.length);
      System.arraycopy(json, 0, answer, header.length, json.length);
      answerPos = 0;
    }
    memory.writeI32((int) args[3], request.size());
    return new long[] {ERRNO_SUCCESS};
  }
}
