package io.capsule.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.capsule.protocol.FuelExhaustedException;
import io.capsule.protocol.MemoryLimitException;
import io.capsule.sandbox.ExecutionMode;
import io.capsule.sandbox.WatAssembler;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import io.capsule.sandbox.internal.meter.FuelMeter;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The one decorator of host calls: what each costs in fuel (taken off the budget like the guest's
 * own operators) and in host bytes (charged to the attempt's account while the call runs).
 */
class HostCallChargesTest {
  private static final List<String> ARGS = List.of("guest", "héllo");

  private static Instance instance(String wat, ExecutionMode mode, FuelMeter meter) {
    return instance(wat, mode, meter, ResourceAccount.unlimited());
  }

  private static Instance instance(
      String wat, ExecutionMode mode, FuelMeter meter, ResourceAccount account) {
    var metered = FuelInstrumenter.instrument(WatAssembler.assemble(wat));
    var wasi =
        WasiPreview1.builder()
            .withOptions(
                WasiOptions.builder()
                    .withStdout(OutputStream.nullOutputStream())
                    .withArguments(ARGS)
                    .build())
            .build();
    var charges = HostCallCharges.of(meter, account, ARGS, Map.of());
    var imports =
        ImportValues.builder()
            .addFunction(charges.wrap(wasi.toHostFunctions()))
            .addFunction(meter.refillFunction())
            .build();
    var module = metered.module();
    var builder = Instance.builder(module);
    if (mode == ExecutionMode.COMPILED) {
      builder.withMachineFactory(MachineFactoryCompiler.compile(module));
    }
    return builder.withImportValues(imports).withStart(false).build();
  }

  private static final String EMPTY = "(module)";

  @Test
  void aChargeComesOffTheBudgetLikeTheGuestsOwnOperators() {
    var meter = new FuelMeter(1_000, 100);
    Instance instance = instance(EMPTY, ExecutionMode.INTERPRETED, meter);

    meter.charge(instance, 250);
    meter.charge(instance, 30);

    assertThat(meter.consumed(instance)).isEqualTo(280);
    assertThatThrownBy(() -> meter.charge(instance, 721))
        .isInstanceOf(FuelExhaustedException.class);
    assertThat(meter.consumed(instance)).isEqualTo(1_000);
  }

  @Test
  void chargesWhileChargingIsDeferredAreForgivenAndCountAfterTheRestart() {
    var meter = new FuelMeter(1_000, 100);
    Instance instance = instance(EMPTY, ExecutionMode.INTERPRETED, meter);
    meter.deferCharging();

    meter.charge(instance, 1_000_000);
    assertThat(meter.consumed(instance)).isZero();

    meter.restart(instance);
    meter.charge(instance, 40);
    assertThat(meter.consumed(instance)).isEqualTo(40);
  }

  @Test
  void aChargeBeyondAnyBudgetExhaustsWithoutOverflow() {
    var meter = new FuelMeter(100_000_000);
    Instance instance = instance(EMPTY, ExecutionMode.INTERPRETED, meter);
    meter.charge(instance, 5);

    assertThatThrownBy(() -> meter.charge(instance, Long.MAX_VALUE))
        .isInstanceOf(FuelExhaustedException.class);
    assertThat(meter.consumed(instance)).isEqualTo(100_000_000);
  }

  /** One WASI call, what its operators cost (consts + call) and what its bytes cost. */
  enum Call {
    RANDOM_GET(
        "random_get",
        "(param i32 i32) (result i32)",
        "(i32.const 0) (i32.const 4096)",
        3 + 4096 * 32),
    FD_WRITE_TWO_IOVECS(
        "fd_write",
        "(param i32 i32 i32 i32) (result i32)",
        "(i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 100))"
            + " (i32.store (i32.const 8) (i32.const 64)) (i32.store (i32.const 12) (i32.const 28))"
            + " (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 32)",
        4 * 3 + 5 + 2 * 8 + 100 + 28),
    POLL_ONEOFF(
        "poll_oneoff",
        "(param i32 i32 i32 i32) (result i32)",
        "(i32.const 0) (i32.const 1024) (i32.const 3) (i32.const 2048)",
        5 + 3 * 80),
    PATH_OPEN(
        "path_open",
        "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)",
        "(i32.const 3) (i32.const 0) (i32.const 0) (i32.const 777) (i32.const 0)"
            + " (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 16)",
        10 + 777),
    ARGS_GET(
        "args_get",
        "(param i32 i32) (result i32)",
        "(i32.const 0) (i32.const 64)",
        3 + ("guest".length() + 1 + 4) + ("héllo".length() + 1 + 1 + 4));

    final String wat;
    final long fuel;

    Call(String name, String signature, String args, long fuel) {
      this.wat =
          "(module (import \"wasi_snapshot_preview1\" \""
              + name
              + "\" (func $f "
              + signature
              + ")) (memory 1) (func (export \"run\") (drop (call $f "
              + args
              + "))))";
      this.fuel = fuel;
    }
  }

  @ParameterizedTest
  @EnumSource(Call.class)
  void aWasiCallPaysForItsBytesInBothModes(Call call) {
    for (ExecutionMode mode : ExecutionMode.values()) {
      var meter = new FuelMeter(1_000_000);
      Instance instance = instance(call.wat, mode, meter);

      instance.export("run").apply();

      assertThat(meter.consumed(instance)).as(mode.name()).isEqualTo(call.fuel);
    }
  }

  /** A buffer longer than the memory cannot be moved: it costs the memory's size, then fails. */
  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void anIovecLongerThanTheMemoryCostsTheMemorysSize(ExecutionMode mode) {
    String wat =
        "(module (import \"wasi_snapshot_preview1\" \"fd_write\""
            + " (func $f (param i32 i32 i32 i32) (result i32))) (memory 1)"
            + " (func (export \"run\") (i32.store (i32.const 4) (i32.const -1))"
            + " (drop (call $f (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))";
    var meter = new FuelMeter(100_000_000);
    Instance instance = instance(wat, mode, meter);

    catchThrowable(() -> instance.export("run").apply());

    assertThat(meter.consumed(instance)).isEqualTo(3 + 5 + 8 + 65_536);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aHugeIovecCountIsChargedBeforeItIsRead(ExecutionMode mode) {
    String wat =
        "(module (import \"wasi_snapshot_preview1\" \"fd_write\""
            + " (func $f (param i32 i32 i32 i32) (result i32))) (memory 1)"
            + " (func (export \"run\") (drop (call $f (i32.const 1) (i32.const 0)"
            + " (i32.const -1) (i32.const 0)))))";
    var meter = new FuelMeter(100_000_000);
    Instance instance = instance(wat, mode, meter);

    assertThatThrownBy(() -> instance.export("run").apply())
        .isInstanceOf(FuelExhaustedException.class);
  }

  // --- host bytes ---

  private static final FunctionType FOUR_I32 =
      FunctionType.of(
          List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32));

  /** A wrapped host function and the instrumented instance it is called for. */
  private record Wrapped(HostFunction function, Instance instance) {
    long[] apply(long... args) {
      return function.handle().apply(instance, args);
    }
  }

  /** {@code name} wrapped by the charges, recording what the account held while it ran. */
  private static Wrapped wrapped(
      String module, String name, ResourceAccount account, AtomicLong during) {
    HostFunction f =
        new HostFunction(
            module,
            name,
            FOUR_I32,
            (instance, args) -> {
              during.set(account.used());
              return new long[] {0};
            });
    var meter = new FuelMeter(Long.MAX_VALUE / 4);
    var charges = HostCallCharges.of(meter, account, ARGS, Map.of());
    return new Wrapped(
        charges.wrap(new HostFunction[] {f})[0], instance(EMPTY, ExecutionMode.INTERPRETED, meter));
  }

  @Test
  void pollSubscriptionsAreChargedWhileTheCallRunsAndGivenBackAfter() {
    ResourceAccount account = ResourceAccount.forRam(0);
    AtomicLong during = new AtomicLong(-1);
    Wrapped poll = wrapped("wasi_snapshot_preview1", "poll_oneoff", account, during);

    long[] results = poll.apply(0, 0, 1000, 0);

    assertThat(results).containsExactly(0);
    assertThat(during.get()).isEqualTo(1000 * HostCallCharges.POLL_SUBSCRIPTION_BYTES);
    assertThat(account.used()).isZero();
    assertThat(account.peak()).isZero();
  }

  @Test
  void aCountTheAccountCannotHoldIsRefusedBeforeTheCallRuns() {
    ResourceAccount account = ResourceAccount.forRam(0);
    AtomicLong during = new AtomicLong(-1);
    Wrapped poll = wrapped("wasi_snapshot_preview1", "poll_oneoff", account, during);

    // 1,000,000 subscriptions: 96 MB of decoded objects, past the 16 MiB account
    assertThatThrownBy(() -> poll.apply(0, 0, 1_000_000, 0))
        .isInstanceOf(MemoryLimitException.class)
        .hasMessageContaining("poll_oneoff of 1000000 subscriptions");
    assertThat(during.get()).as("the call did not run").isEqualTo(-1);
    assertThat(account.used()).isZero();
    assertThat(account.refusal()).contains("poll_oneoff");
  }

  @Test
  void functionsWithoutAPriceAreLeftAsTheyAre() {
    HostFunction other =
        new HostFunction("wasi_snapshot_preview1", "sched_yield", FOUR_I32, (i, a) -> null);
    var charges = HostCallCharges.of(new FuelMeter(1), ResourceAccount.forRam(0), ARGS, Map.of());
    assertThat(charges.wrap(new HostFunction[] {other})[0]).isSameAs(other);
  }

  /**
   * Chicory's fd_read allocates a host array as long as each iovec says before it reads: a length
   * far past the memory is refused before the call, naming it.
   */
  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void anFdReadIntoAHugeIovecIsRefusedBeforeTheHostAllocatesIt(ExecutionMode mode) {
    String wat =
        "(module (import \"wasi_snapshot_preview1\" \"fd_read\""
            + " (func $f (param i32 i32 i32 i32) (result i32))) (memory 1)"
            + " (func (export \"run\") (i32.store (i32.const 4) (i32.const 0x40000000))"
            + " (drop (call $f (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))";
    ResourceAccount account = ResourceAccount.forRam(1 << 20);
    Instance instance = instance(wat, mode, new FuelMeter(100_000_000), account);

    assertThatThrownBy(() -> instance.export("run").apply())
        .isInstanceOf(MemoryLimitException.class)
        .hasMessageContaining("fd_read holding 1073741824 host bytes");
    assertThat(account.used()).as("nothing held after the refusal").isZero();
  }

  @Test
  void aResultIsChargedUntilTheNextReplacesIt() {
    ResourceAccount account = ResourceAccount.forRam(0);
    AtomicLong during = new AtomicLong(-1);
    Wrapped setResult = wrapped("capsule", "set_result", account, during);

    setResult.apply(0, 1000);
    assertThat(account.used()).as("kept after the call").isEqualTo(1000);
    setResult.apply(0, 300);
    assertThat(during.get()).as("the old and the new while the new is read").isEqualTo(1300);
    assertThat(account.used()).as("the old one given back").isEqualTo(300);
  }

  @Test
  void aLogLineHoldsOneChunkAtMost() {
    ResourceAccount account = ResourceAccount.forRam(0);
    AtomicLong during = new AtomicLong(-1);
    Wrapped log = wrapped("capsule", "log", account, during);

    log.apply(0, 100 << 20);

    assertThat(during.get()).isEqualTo(HostCallCharges.LOG_CHUNK);
    assertThat(account.used()).isZero();
  }
}
