package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.HeapPeak;
import io.capsule.sandbox.testing.LocalHttpServer;
import io.capsule.sandbox.testing.SandboxesByMode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Host-side buffers a guest makes the host hold (HTTP answers it leaves unread, the stdout capture,
 * decoded {@code poll_oneoff} subscriptions) are charged to the attempt's resource account: past it
 * the attempt ends {@code memory_limit}, and the host's heap stays bounded.
 */
class HostBufferAccountTest {
  /** The largest body the sandbox accepts by default: 10 MiB. */
  private static final int TEN_MIB = 10 << 20;

  /**
   * Heap one run may take (as {@link HeapPeak} measures it: with the garbage of each answer's
   * transient copies, which no collection may have freed yet).
   */
  private static final long HEAP_BOUND = 256L << 20;

  private static final TaskOptions ONE_MB_LOOPBACK =
      TaskOptions.builder().ram(ByteSize.parse("1MB")).allowedHosts(List.of("127.0.0.1")).build();

  /**
   * A 24 MiB account: room for one 10 MiB answer while it is made (its body and its document), not
   * for a second beside an unread first.
   */
  private static final TaskOptions EIGHT_MB_LOOPBACK =
      ONE_MB_LOOPBACK.toBuilder().ram(ByteSize.parse("8MB")).build();

  @TempDir static Path cache;
  private static SandboxesByMode sandboxes;
  private static LocalHttpServer server;

  @BeforeAll
  static void start() {
    server = LocalHttpServer.start();
    sandboxes =
        SandboxesByMode.create(
            cache,
            b -> b.withHttp(HttpConfig.builder().withPrivateHosts(List.of("127.0.0.1")).build()));
  }

  @AfterAll
  static void stop() {
    sandboxes.close();
    server.close();
  }

  /**
   * A guest that asks for {@code count} answers from {@code path} and reads none, then sets the
   * result {@code {"ok":true}}. Each request's code must be 0 (a response), else it traps.
   */
  private static String unreadAnswers(String path, int count) {
    String request = "{\"url\":\"" + server.url(path) + "\"}";
    return """
        (module
          (import "capsule" "http_request" (func $request (param i32 i32 i32 i32) (result i32)))
          (import "capsule" "set_result" (func $set_result (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "%s")
          (data (i32.const 1024) "{\\"ok\\":true}")
          (func (export "_start")
            (local $i i32)
            (loop $more
              (if (i32.ne
                    (call $request (i32.const 0) (i32.const %d) (i32.const 2048) (i32.const 2052))
                    (i32.const 0))
                (then unreachable))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $more (i32.lt_u (local.get $i) (i32.const %d))))
            (call $set_result (i32.const 1024) (i32.const 11))))
        """
        .formatted(request.replace("\"", "\\\""), request.length(), count);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void unreadTenMibAnswersPastTheAccountEndAsMemoryLimitWithTheHeapBounded(ExecutionMode mode) {
    ResultEnvelope envelope =
        runBounded(mode, unreadAnswers("/bytes?n=" + TEN_MIB, 4), EIGHT_MB_LOOPBACK);

    assertThat(envelope.success()).as("%s", envelope.result()).isFalse();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.error().message())
        .contains("HTTP answer of")
        .contains("held for the task")
        .contains("memory account of");
    // the first answer fits the 24 MiB account, the second does not: no request after it
    assertThat(envelope.execution().hostRequests()).hasSize(2);
    // ram_used stays what the guest's memory held
    assertThat(envelope.execution().ramUsed()).isLessThanOrEqualTo(8L << 20);
  }

  /**
   * A 10 MiB body and its 10 MiB document exist together while the answer is made: at {@code --ram
   * 1MB} (a 17 MiB account) that is refused while the document is made, before it is written.
   */
  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aTenMibAnswerIsChargedWithItsBodyBeforeItsDocumentIsWritten(ExecutionMode mode) {
    ResultEnvelope envelope =
        runBounded(mode, unreadAnswers("/bytes?n=" + TEN_MIB, 1), ONE_MB_LOOPBACK);

    assertThat(envelope.success()).as("%s", envelope.result()).isFalse();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.error().message()).contains("HTTP answer of").contains("held for the task");
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void answersWithinTheAccountStillSucceed(ExecutionMode mode) {
    ResultEnvelope envelope = runBounded(mode, unreadAnswers("/hello", 4), ONE_MB_LOOPBACK);

    assertThat(envelope.success()).as("%s", envelope.error()).isTrue();
    assertThat(envelope.result().get("ok").asBoolean()).isTrue();
    assertThat(envelope.execution().hostRequests()).hasSize(4);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void readAnswersAreGivenBackSoManyLargeAnswersInTurnSucceed(ExecutionMode mode) {
    String request = "{\"url\":\"" + server.url("/bytes?n=" + TEN_MIB) + "\"}";
    String wat =
        """
        (module
          (import "capsule" "http_request" (func $request (param i32 i32 i32 i32) (result i32)))
          (import "capsule" "http_response_read" (func $read (param i32 i32 i32) (result i32)))
          (import "capsule" "set_result" (func $set_result (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "%s")
          (data (i32.const 1024) "{\\"ok\\":true}")
          (func (export "_start")
            (local $i i32)
            (loop $more
              (if (i32.ne
                    (call $request (i32.const 0) (i32.const %d) (i32.const 2048) (i32.const 2052))
                    (i32.const 0))
                (then unreachable))
              ;; buf_len 0 releases the answer
              (drop (call $read (i32.load (i32.const 2048)) (i32.const 4096) (i32.const 0)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $more (i32.lt_u (local.get $i) (i32.const 3))))
            (call $set_result (i32.const 1024) (i32.const 11))))
        """
            .formatted(request.replace("\"", "\\\""), request.length());

    Sandbox sandbox = sandboxes.get(mode);
    ResultEnvelope envelope =
        sandbox.run(
            sandbox.prepare(WatAssembler.assemble(wat)),
            new TaskCall(EIGHT_MB_LOOPBACK, List.of()));

    assertThat(envelope.success()).as("%s", envelope.error()).isTrue();
    assertThat(envelope.execution().hostRequests()).hasSize(3);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void stdoutFloodStaysBoundedAndCharged(ExecutionMode mode) {
    // 256 writes of 64 KiB: 16 MiB printed, 1 MiB kept
    String wat =
        """
        (module
          (import "wasi_snapshot_preview1" "fd_write"
            (func $write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 2)
          (func (export "_start")
            (local $i i32)
            (i32.store (i32.const 0) (i32.const 65536))
            (i32.store (i32.const 4) (i32.const 65536))
            (loop $more
              (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $more (i32.lt_u (local.get $i) (i32.const 256))))))
        """;

    ResultEnvelope envelope = runBounded(mode, wat, ONE_MB_LOOPBACK);

    assertThat(envelope.success()).as("%s", envelope.error()).isTrue();
    assertThat(envelope.result().asText()).hasSizeLessThanOrEqualTo(1 << 20);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void pollOneoffBeyondTheAccountEndsAsMemoryLimit(ExecutionMode mode) {
    // 64 MiB of memory leaves a 16 MiB allowance: 400,000 decoded subscriptions do not fit it
    String wat =
        """
        (module
          (import "wasi_snapshot_preview1" "poll_oneoff"
            (func $poll (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1024)
          (func (export "_start")
            (drop (call $poll (i32.const 0) (i32.const 0) (i32.const 400000) (i32.const 64)))))
        """;
    TaskOptions options = TaskOptions.builder().ram(ByteSize.parse("64MiB")).build();

    ResultEnvelope envelope = runBounded(mode, wat, options);

    assertThat(envelope.success()).isFalse();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.error().message()).contains("poll_oneoff of 400000 subscriptions");
  }

  /**
   * Two results of 16 MiB at {@code --ram 16MB} (a 32 MiB account, the memory taking half): the
   * first fits, the second cannot be read while the first is still held.
   */
  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void resultsNearTheCapInALoopEndAsMemoryLimitWithTheHeapBounded(ExecutionMode mode) {
    ResultEnvelope envelope =
        runBounded(mode, hostCallLoop("set_result", 256, 16 << 20, 8), ram("16MB"));

    assertThat(envelope.success()).isFalse();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.error().message())
        .contains("capsule.set_result holding 16777216 host bytes");
  }

  /**
   * A log line as long as a 96 MiB memory, four times: copied to the logs in 64 KiB chunks, the
   * host never holds a copy of the line (a whole copy and two more of it before: 288 MiB a call).
   */
  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void logLinesAsLongAsTheMemoryAreCopiedInChunksWithTheHeapBounded(ExecutionMode mode) {
    ResultEnvelope envelope = runBounded(mode, hostCallLoop("log", 1536, 96 << 20, 4), ram("96MB"));

    assertThat(envelope.success()).as("%s", envelope.error()).isTrue();
    assertThat(envelope.logs()).hasSizeLessThanOrEqualTo(64 << 10);
  }

  /**
   * Chicory's fd_read allocates a host array as long as the iovec says: 512 MiB asked for at {@code
   * --ram 1MB} is refused before it is allocated.
   */
  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void anFdReadIntoAHugeBufferEndsAsMemoryLimitWithTheHeapBounded(ExecutionMode mode) {
    String wat =
        """
        (module
          (import "wasi_snapshot_preview1" "fd_read"
            (func $read (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            (i32.store (i32.const 4) (i32.const 0x20000000))
            (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))
        """;

    ResultEnvelope envelope = runBounded(mode, wat, ram("1MB"));

    assertThat(envelope.success()).isFalse();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.error().message()).contains("fd_read holding 536870912 host bytes");
  }

  private static TaskOptions ram(String size) {
    return TaskOptions.builder().ram(ByteSize.parse(size)).build();
  }

  /** A guest with {@code pages} of memory calling {@code capsule.name(0, length)} {@code times}. */
  private static String hostCallLoop(String name, int pages, int length, int times) {
    return """
        (module
          (import "capsule" "%s" (func $f (param i32 i32)))
          (memory (export "memory") %d)
          (func (export "_start")
            (local $i i32)
            (loop $more
              (call $f (i32.const 0) (i32.const %d))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $more (i32.lt_u (local.get $i) (i32.const %d))))))
        """
        .formatted(name, pages, length, times);
  }

  /** Prepares the module, then runs it, asserting the run kept the heap under the bound. */
  private static ResultEnvelope runBounded(ExecutionMode mode, String wat, TaskOptions options) {
    Sandbox sandbox = sandboxes.get(mode);
    PreparedModule module = sandbox.prepare(WatAssembler.assemble(wat));
    var envelope = new AtomicReference<ResultEnvelope>();
    long heap =
        HeapPeak.during(() -> envelope.set(sandbox.run(module, new TaskCall(options, List.of()))));
    System.out.printf("%s: the run took %,d bytes of heap at most%n", mode, heap);
    assertThat(heap).as("heap taken by the run, bytes").isLessThan(HEAP_BOUND);
    return envelope.get();
  }
}
