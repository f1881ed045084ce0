package io.capsule.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import io.capsule.sandbox.internal.meter.FuelMeter;

/**
 * The fuel metering on its own, for measuring what it costs apart from a {@link Sandbox} (the
 * {@code capsule bench sandbox} metering rows): a module instrumented exactly as the sandbox
 * instruments it, and a meter without a budget to run it with.
 *
 * <p>Not a way to run untrusted code: nothing here bounds memory, time or host access. That is what
 * {@link Sandbox} is for.
 *
 * <pre>{@code
 * WasmModule module = Metering.instrument(wasm);
 * Metering meter = Metering.unlimited();
 * Instance instance = Instance.builder(module)
 *     .withImportValues(ImportValues.builder().addFunction(meter.refillFunction()).build())
 *     .build();
 * // ... run an export, then:
 * long fuel = meter.consumed(instance);
 * }</pre>
 */
public final class Metering {
  private final FuelMeter meter = new FuelMeter(Long.MAX_VALUE);

  private Metering() {}

  /**
   * {@code wasm} fuel-instrumented as a sandbox instruments it, parsed.
   *
   * @throws io.capsule.protocol.InvalidModuleException when {@code wasm} is not a module the
   *     instrumenter accepts
   */
  public static WasmModule instrument(byte[] wasm) {
    return FuelInstrumenter.instrument(wasm).module();
  }

  /** A meter with no budget (it never stops a run). */
  public static Metering unlimited() {
    return new Metering();
  }

  /** The host function an instrumented module imports to refill its fuel. */
  public HostFunction refillFunction() {
    return meter.refillFunction();
  }

  /** The fuel {@code instance} (instrumented, run with {@link #refillFunction}) has used so far. */
  public long consumed(Instance instance) {
    return meter.consumed(instance);
  }
}
