package io.capsule.sandbox.internal.net;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.capsule.protocol.HostRequest;
import io.capsule.protocol.TaskOptions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP functions of the {@code capsule} import module (guest ABI v1, see {@code
 * docs/guest-abi.md}). One instance per attempt.
 *
 * <pre>
 * http_request(req_ptr, req_len, handle_ptr, len_ptr) -&gt; i32
 *   performs the request document at req_ptr; writes the handle (u32) and byte length (u32) of the
 *   answer document at handle_ptr and len_ptr; returns 0 for a response (any HTTP status) or a
 *   negative {@link NetworkError} code, whose answer document is an error document
 * http_response_read(handle, buf_ptr, buf_len) -&gt; i32
 *   copies up to buf_len bytes of the document, releases the handle and returns the document's
 *   full length (-9 for an unknown handle); buf_len 0 just releases it
 * </pre>
 *
 * Pointers outside the guest's memory trap, as in WASI; everything the network does is a code.
 */
public final class HttpImports {
  private static final String MODULE = "capsule";
  private static final int MAX_REQUEST_BYTES = 16 << 20;
  private static final FunctionType REQUEST =
      FunctionType.of(
          List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32));
  private static final FunctionType READ =
      FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32));

  private final OutboundHttp http;
  private final int maxPending;
  private final Map<Integer, byte[]> pending = new HashMap<>();
  private int nextHandle = 1;

  private HttpImports(OutboundHttp http, int maxPending) {
    this.http = http;
    this.maxPending = maxPending;
  }

  /** The HTTP imports of an attempt of a task with these options, starting now. */
  public static HttpImports forAttempt(HttpTransport transport, TaskOptions options) {
    return new HttpImports(
        OutboundHttp.forAttempt(transport, options.allowedHosts(), options.timeout()),
        transport.config().maxPendingResponses());
  }

  /** The host functions to link. */
  public HostFunction[] functions() {
    return new HostFunction[] {
      new HostFunction(MODULE, "http_request", REQUEST, this::request),
      new HostFunction(MODULE, "http_response_read", READ, this::read)
    };
  }

  /**
   * Performs one request document as {@code http_request} does, for guests that cannot import it.
   */
  public HttpReply execute(byte[] requestDocument) {
    return http.execute(requestDocument);
  }

  /** The requests made so far, for {@code execution.host_requests}. */
  public java.util.Optional<String> firstDenial() {
    return http.log().firstDenial();
  }

  /** The outbound requests of the attempt so far. */
  public List<HostRequest> requests() {
    return http.log().requests();
  }

  private long[] request(Instance instance, long... args) {
    Memory memory = instance.memory();
    int length = (int) args[1];
    HttpReply reply;
    if (pending.size() >= maxPending) {
      return answer(memory, args, NetworkError.LIMIT_EXCEEDED.code(), 0, 0);
    }
    if (length < 0 || length > MAX_REQUEST_BYTES) {
      reply = HttpReply.failure(new HttpFailure(NetworkError.INVALID_REQUEST, "request too large"));
    } else {
      reply = http.execute(memory.readBytes((int) args[0], length));
    }
    int handle = nextHandle++;
    pending.put(handle, reply.document());
    return answer(memory, args, reply.code(), handle, reply.document().length);
  }

  private static long[] answer(Memory memory, long[] args, int code, int handle, int length) {
    memory.writeI32((int) args[2], handle);
    memory.writeI32((int) args[3], length);
    return new long[] {code};
  }

  private long[] read(Instance instance, long... args) {
    byte[] document = pending.remove((int) args[0]);
    if (document == null) {
      return new long[] {NetworkError.BAD_HANDLE.code()};
    }
    int room = (int) Math.min(Integer.toUnsignedLong((int) args[2]), document.length);
    instance.memory().write((int) args[1], document, 0, room);
    return new long[] {document.length};
  }
}
