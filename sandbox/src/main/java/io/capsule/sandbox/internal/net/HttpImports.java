package io.capsule.sandbox.internal.net;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.capsule.protocol.HostRequest;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.internal.ResourceAccount;
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
 *
 * <p>The host memory a request makes the host hold is charged to the attempt's {@link
 * ResourceAccount} before it is allocated: the request document and its parsed form while the
 * request runs, the response body as it arrives (see {@link OutboundHttp}), and the answer document
 * from its making until the guest reads (or releases) it. A document the account cannot hold ends
 * the attempt at once with {@code memory_limit} naming it; the guest gets no answer to that
 * request.
 */
public final class HttpImports {
  private static final String MODULE = "capsule";
  private static final int MAX_REQUEST_BYTES = 16 << 20;
  private static final long REQUEST_COPIES = 3;
  private static final FunctionType REQUEST =
      FunctionType.of(
          List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32));
  private static final FunctionType READ =
      FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32));

  private final OutboundHttp http;
  private final int maxPending;
  private final ResourceAccount account;
  private final Map<Integer, byte[]> pending = new HashMap<>();
  private int nextHandle = 1;

  private HttpImports(OutboundHttp http, int maxPending, ResourceAccount account) {
    this.http = http;
    this.maxPending = maxPending;
    this.account = account;
  }

  /**
   * The HTTP imports of an attempt of a task with these options, starting now, charging what they
   * hold to {@code account}.
   */
  public static HttpImports forAttempt(
      HttpTransport transport, TaskOptions options, ResourceAccount account) {
    return new HttpImports(
        OutboundHttp.forAttempt(transport, options.allowedHosts(), options.timeout(), account),
        transport.config().maxPendingResponses(),
        account);
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
    HttpReply reply = perform(requestDocument);
    // the answer was charged when it was made; the caller hands it to the guest at once
    account.releaseBuffer(reply.document().length);
    return reply;
  }

  /**
   * Performs a request, {@value #REQUEST_COPIES} times its document charged to the account while it
   * runs (the document, the parsed request's text, its body).
   */
  private HttpReply perform(byte[] requestDocument) {
    long bytes = REQUEST_COPIES * requestDocument.length;
    account.chargeBuffer(bytes, "an HTTP request of " + requestDocument.length + " bytes");
    try {
      return http.execute(requestDocument);
    } finally {
      account.releaseBuffer(bytes);
    }
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
      account.chargeBuffer(
          reply.document().length, HttpReply.heldForTheTask(reply.document().length));
    } else {
      long bytes = REQUEST_COPIES * length;
      account.chargeBuffer(bytes, "an HTTP request of " + length + " bytes");
      try {
        reply = http.execute(memory.readBytes((int) args[0], length));
      } finally {
        account.releaseBuffer(bytes);
      }
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
    account.releaseBuffer(document.length);
    int room = (int) Math.min(Integer.toUnsignedLong((int) args[2]), document.length);
    instance.memory().write((int) args[1], document, 0, room);
    return new long[] {document.length};
  }
}
