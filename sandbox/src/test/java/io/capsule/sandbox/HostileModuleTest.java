package io.capsule.sandbox;

import static io.capsule.sandbox.testing.WasmBinary.CODE;
import static io.capsule.sandbox.testing.WasmBinary.EXPORT;
import static io.capsule.sandbox.testing.WasmBinary.FUNCTION;
import static io.capsule.sandbox.testing.WasmBinary.MEMORY;
import static io.capsule.sandbox.testing.WasmBinary.TYPE;
import static io.capsule.sandbox.testing.WasmBinary.body;
import static io.capsule.sandbox.testing.WasmBinary.bytes;
import static io.capsule.sandbox.testing.WasmBinary.concat;
import static io.capsule.sandbox.testing.WasmBinary.export;
import static io.capsule.sandbox.testing.WasmBinary.module;
import static io.capsule.sandbox.testing.WasmBinary.repeat;
import static io.capsule.sandbox.testing.WasmBinary.s32;
import static io.capsule.sandbox.testing.WasmBinary.section;
import static io.capsule.sandbox.testing.WasmBinary.u32;
import static io.capsule.sandbox.testing.WasmBinary.vec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.internal.ModuleLimits;
import io.capsule.sandbox.internal.ResourceAccount;
import io.capsule.sandbox.testing.Corpus;
import io.capsule.sandbox.testing.HeapPeak;
import io.capsule.sandbox.testing.SandboxesByMode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Modules written to make the host allocate what their limits do not pay for. Each ends in its own
 * typed envelope (or is refused before any work) while the host's heap stays within a bound that
 * the attack would exceed many times over without the account and the module limits.
 */
class HostileModuleTest {
  /** Heap a hostile run may take; each attack here needs 400 MB or more when unchecked. */
  private static final long HEAP_BOUND = 256L << 20;

  private static final TaskOptions ONE_MB =
      TaskOptions.builder().ram(ByteSize.parse("1MB")).build();

  @TempDir static Path cache;
  private static SandboxesByMode sandboxes;

  @BeforeAll
  static void start() {
    sandboxes = SandboxesByMode.create(cache);
  }

  @AfterAll
  static void stop() {
    sandboxes.close();
  }

  // --- proposals the sandbox does not accept ---

  @Test
  void gcArrayIsRefusedBeforeAnyWork() {
    byte[] types = vec(bytes(0x5E, 0x7E, 0x01), bytes(0x60, 0, 0)); // (array (mut i64)), func
    byte[] arrayBomb = concat(bytes(0x41), s32(50_000_000), bytes(0xFB, 0x07, 0, 0x1A, 0x0B));
    byte[] wasm =
        module(
            section(TYPE, types),
            section(FUNCTION, vec(u32(1))),
            section(EXPORT, vec(export("_start", 0, 0))),
            section(CODE, vec(body(vec(), arrayBomb))));
    assertRefused(wasm, "GC proposal");
  }

  @Test
  void multiMemoryIsRefused() {
    assertRefused(startOnly(vec(bytes(0, 1), bytes(0, 1))), "multi-memory");
  }

  @Test
  void sharedMemoryIsRefused() {
    assertRefused(startOnly(vec(bytes(0x03, 1, 1))), "threads proposal (shared memory)");
  }

  @Test
  void simdIsRefused() {
    String wat = "(module (memory (export \"memory\") 1) (func (export \"_start\") (local v128)))";
    assertRefused(WatAssembler.assemble(wat), "SIMD");
  }

  // --- tables ---

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void tableGrowBombEndsAsMemoryLimitWithTheHeapBounded(ExecutionMode mode) {
    ResultEnvelope envelope = runBounded(mode, Corpus.wat("hostile/table_grow_bomb"), ONE_MB);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.error().message()).contains("table.grow of 10000000 entries refused");
    assertThat(envelope.execution().ramUsed())
        .isLessThanOrEqualTo(ResourceAccount.forRam(1 << 20).limit());
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void tableGrowByTheLargestIntReturnsMinusOne(ExecutionMode mode) {
    // table.grow is charged 8 fuel an entry (17 G here): a budget that pays for it reaches the
    // account, which refuses the grow (under MEDIUM the fuel check alone ends it first)
    TaskOptions paid = ONE_MB.toBuilder().compute(Compute.custom(20_000_000_000L)).build();
    ResultEnvelope envelope = runBounded(mode, Corpus.wat("hostile/table_grow_wraps"), paid);
    assertThat(envelope.success()).as(String.valueOf(envelope.error())).isTrue();
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aTableGrownInOneRunStartsAtItsDeclaredSizeInTheNext(ExecutionMode mode) {
    Sandbox sandbox = sandboxes.get(mode);
    PreparedModule module = sandbox.prepare(Corpus.wat("hostile/table_grow_once"));
    for (int run = 0; run < 2; run++) {
      ResultEnvelope envelope = sandbox.run(module, new TaskCall(ONE_MB, List.of()));
      assertThat(envelope.success()).as("run %d: %s", run, envelope.error()).isTrue();
    }
  }

  @Test
  void tablesDeclaredHugeAreRefused() {
    assertRefused(Corpus.wat("hostile/huge_tables"), "initial entries of a table");
    assertRefused(Corpus.wat("hostile/nine_tables"), "9 tables");
  }

  // --- locals and call depth ---

  @Test
  void aFunctionWithMoreLocalsThanTheLimitIsRefused() {
    assertRefused(recursion(49_000, 0), "more than the limit of " + ModuleLimits.MAX_LOCALS);
    int overLargeBodyLimit = ModuleLimits.MAX_LOCALS_LARGE_BODY;
    assertRefused(
        recursion(overLargeBodyLimit, 4_000), "limit of " + ModuleLimits.MAX_LOCALS_LARGE_BODY);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void deepRecursionWithManyLocalsEndsTypedWithTheHeapBounded(ExecutionMode mode) {
    byte[] wasm = recursion(ModuleLimits.MAX_LOCALS - 1, 0);
    ResultEnvelope envelope = runBounded(mode, wasm, ONE_MB);
    assertThat(envelope.error().errorType()).isEqualTo(stackEnd(mode));
    assertThat(run(mode, Corpus.wat("hello")).success()).isTrue();
  }

  /**
   * A body too large for one JVM method that the splitter cannot split (its operand stack is never
   * empty, so it has no region to move) would run in Chicory's interpreter inside compiled code,
   * out of the account's reach: such a module runs wholly in the accounted interpreter, in compiled
   * mode too, so its frames are charged and the recursion ends {@code memory_limit}.
   */
  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void deepRecursionThroughALargeFunctionEndsAsMemoryLimitWithTheHeapBounded(ExecutionMode mode) {
    byte[] wasm = recursion(ModuleLimits.MAX_LOCALS_LARGE_BODY - 1, 12_000, UNSPLITTABLE_LOAD);
    ResultEnvelope envelope = runBounded(mode, wasm, ONE_MB);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.error().message()).contains("a call frame of").contains("recursion");
    assertThat(sandboxes.get(mode).prepare(wasm).machineFactory())
        .as("no compiled code for a module that falls back")
        .isNull();
  }

  /** The same large body made of regions the splitter can move compiles, and stays compiled. */
  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void deepRecursionThroughASplitLargeFunctionEndsTypedWithTheHeapBounded(ExecutionMode mode) {
    byte[] wasm = recursion(ModuleLimits.MAX_LOCALS_LARGE_BODY - 1, 12_000, SPLITTABLE_LOAD);
    ResultEnvelope envelope = runBounded(mode, wasm, ONE_MB);
    assertThat(envelope.error().errorType()).isEqualTo(stackEnd(mode));
    if (mode == ExecutionMode.COMPILED) {
      assertThat(sandboxes.get(mode).prepare(wasm).machineFactory()).isNotNull();
    }
  }

  @Test
  void aCompiledModuleWithoutFallbackStaysCompiled() {
    byte[] wasm = recursion(ModuleLimits.MAX_LOCALS - 1, 0);
    assertThat(sandboxes.get(ExecutionMode.COMPILED).prepare(wasm).machineFactory()).isNotNull();
  }

  /**
   * How deep recursion with large frames ends: the interpreter's frames exhaust the memory account,
   * compiled frames (and the interpreter's inside compiled mode) the guest thread's stack.
   */
  private static ErrorType stackEnd(ExecutionMode mode) {
    return mode == ExecutionMode.INTERPRETED ? ErrorType.MEMORY_LIMIT : ErrorType.WASM_ERROR;
  }

  // --- JVM errors on the guest thread ---

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void anOutOfMemoryErrorOnTheGuestThreadIsTheTasksMemoryLimit(ExecutionMode mode) {
    ResultEnvelope envelope =
        runThrowing(mode, () -> new OutOfMemoryError("Java heap space (forced by the test)"));
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.error().message()).contains("ran out of memory");
    assertThat(run(mode, Corpus.wat("hello")).success()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aStackOverflowErrorOnTheGuestThreadIsTheTasksWasmError(ExecutionMode mode) {
    ResultEnvelope envelope = runThrowing(mode, StackOverflowError::new);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.WASM_ERROR);
    assertThat(envelope.error().message()).contains("call stack exhausted");
    assertThat(run(mode, Corpus.wat("hello")).success()).isTrue();
  }

  /** Runs hello with a machine that throws {@code error} from the guest thread when called. */
  private static ResultEnvelope runThrowing(
      ExecutionMode mode, java.util.function.Supplier<Error> error) {
    Sandbox sandbox = sandboxes.get(mode);
    PreparedModule hello = sandbox.prepare(Corpus.wat("hello"));
    Function<Instance, Machine> throwing =
        instance ->
            (funcId, args) -> {
              throw error.get();
            };
    var failing =
        new PreparedModule(
            hello.sha256(),
            hello.wasm(),
            hello.module(),
            throwing,
            null,
            false,
            hello.initialPages());
    return sandbox.run(failing, new TaskCall(TaskOptions.NONE, List.of()));
  }

  // --- helpers ---

  private static ResultEnvelope run(ExecutionMode mode, byte[] wasm) {
    Sandbox sandbox = sandboxes.get(mode);
    return sandbox.run(sandbox.prepare(wasm), new TaskCall(TaskOptions.NONE, List.of()));
  }

  /** Prepares the module, then runs it, asserting the run kept the heap under the bound. */
  private static ResultEnvelope runBounded(ExecutionMode mode, byte[] wasm, TaskOptions options) {
    Sandbox sandbox = sandboxes.get(mode);
    PreparedModule module = sandbox.prepare(wasm);
    var envelope = new AtomicReference<ResultEnvelope>();
    long heap =
        HeapPeak.during(() -> envelope.set(sandbox.run(module, new TaskCall(options, List.of()))));
    System.out.printf("%s: the run took %,d bytes of heap at most%n", mode, heap);
    assertThat(heap).as("heap taken by the run, bytes").isLessThan(HEAP_BOUND);
    return envelope.get();
  }

  private static void assertRefused(byte[] wasm, String reason) {
    Sandbox sandbox = sandboxes.get(ExecutionMode.COMPILED);
    long heap =
        HeapPeak.during(
            () ->
                assertThatThrownBy(() -> sandbox.prepare(wasm))
                    .isInstanceOf(InvalidModuleException.class)
                    .hasMessageContaining(reason)
                    .extracting(e -> ((InvalidModuleException) e).errorType())
                    .isEqualTo(ErrorType.INVALID_MODULE));
    assertThat(heap).as("heap taken by preparation, bytes").isLessThan(HEAP_BOUND);
  }

  /** A module with these memories and an empty {@code _start}. */
  private static byte[] startOnly(byte[] memories) {
    return module(
        section(TYPE, vec(bytes(0x60, 0, 0))),
        section(FUNCTION, vec(u32(0))),
        section(MEMORY, memories),
        section(EXPORT, vec(export("_start", 0, 0))),
        section(CODE, vec(body(vec(), bytes(0x0B)))));
  }

  /**
   * A module whose {@code _start} calls a function 1,000,000 deep that has {@code locals} i64
   * locals beside its i32 parameter, and {@code padding} six-byte loads, skipped over, ahead of its
   * recursion.
   */
  /** {@code (drop (i64.load (i32.const 0)))}: the stack is empty between two of them. */
  private static final byte[] SPLITTABLE_LOAD = bytes(0x41, 0, 0x29, 0x03, 0, 0x1A);

  /** {@code i32.const 0 i32.load i32.add}: after a leading {@code i32.const 0}, never empty. */
  private static final byte[] UNSPLITTABLE_LOAD = bytes(0x41, 0, 0x28, 0x02, 0, 0x6A);

  private static byte[] recursion(int locals, int padding) {
    return recursion(locals, padding, SPLITTABLE_LOAD);
  }

  private static byte[] recursion(int locals, int padding, byte[] load) {
    boolean accumulates = load == UNSPLITTABLE_LOAD;
    byte[] recurse =
        bytes(
            0x20, 0, 0x45, 0x04, 0x40, 0x0F, 0x0B, // if (n == 0) return
            0x20, 0, 0x41, 1, 0x6B, 0x10, 0, 0x0B); // r(n - 1)
    byte[] localsDecl = vec(concat(u32(locals), bytes(0x7E)));
    // if (n == -1) { padding }: compiled, never run (so the run makes no garbage)
    byte[] padded =
        accumulates
            ? concat(bytes(0x41, 0), repeat(load, padding), bytes(0x1A))
            : repeat(load, padding);
    byte[] skipped = concat(bytes(0x20, 0, 0x41, 0x7F, 0x46, 0x04, 0x40), padded, bytes(0x0B));
    byte[] start = concat(bytes(0x41), s32(1_000_000), bytes(0x10, 0, 0x0B));
    return module(
        section(TYPE, vec(bytes(0x60, 1, 0x7F, 0), bytes(0x60, 0, 0))),
        section(FUNCTION, vec(u32(0), u32(1))),
        section(MEMORY, vec(bytes(0, 1))),
        section(EXPORT, vec(export("memory", 2, 0), export("_start", 0, 1))),
        section(CODE, vec(body(localsDecl, concat(skipped, recurse)), body(vec(), start))));
  }
}
