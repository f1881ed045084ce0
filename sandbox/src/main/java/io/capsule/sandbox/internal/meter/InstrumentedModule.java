package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.WasmModule;

/**
 * A module rewritten to meter its fuel, as bytes and as Chicory parsed (and validated) them.
 *
 * <p>It imports {@value FuelInstrumenter#METER_MODULE}.{@value FuelInstrumenter#REFILL_FUNCTION}
 * {@code (param i64) (result i64)} and exports the mutable i64 global {@value
 * FuelInstrumenter#FUEL_GLOBAL}. See {@link FuelMeter} for the host side.
 */
public final class InstrumentedModule {
  private final byte[] bytes;
  private final WasmModule module;

  InstrumentedModule(byte[] bytes, WasmModule module) {
    this.bytes = bytes;
    this.module = module;
  }

  /** The rewritten binary (a copy). */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The rewritten module, parsed and validated: build instances (or compile) from this. */
  public WasmModule module() {
    return module;
  }
}
