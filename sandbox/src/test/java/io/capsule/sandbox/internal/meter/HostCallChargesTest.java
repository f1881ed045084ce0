package io.capsule.sandbox.internal.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import io.capsule.protocol.FuelExhaustedException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class HostCallChargesTest {
  private static final List<String> ARGS = List.of("guest", "héllo");

  private static Instance instance(String wat, ExecutionMode mode, FuelMeter meter) {
    var metered = FuelInstrumenter.instrument(WatModules.binary(wat));
    var wasi =
        WasiPreview1.builder()
            .withOptions(
                WasiOptions.builder()
                    .withStdout(OutputStream.nullOutputStream())
                    .withArguments(ARGS)
                    .build())
            .build();
    var charges = HostCallCharges.of(meter, ARGS, Map.of());
    var imports =
        ImportValues.builder()
            .addFunction(charges.wrap(wasi.toHostFunctions()))
            .addFunction(meter.refillFunction())
            .build();
    var module = metered.module();
    return mode.configure(Instance.builder(module), module)
        .withImportValues(imports)
        .withStart(false)
        .build();
  }

  private static final String EMPTY = "(module)";

  @Test
  void aChargeComesOffTheBudgetLikeTheGuestsOwnOperators() {
    var meter = new FuelMeter(1_000, 100);
    Instance instance = instance(EMPTY, ExecutionMode.INTERPRETER, meter);

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
    Instance instance = instance(EMPTY, ExecutionMode.INTERPRETER, meter);
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
    Instance instance = instance(EMPTY, ExecutionMode.INTERPRETER, meter);
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
}
