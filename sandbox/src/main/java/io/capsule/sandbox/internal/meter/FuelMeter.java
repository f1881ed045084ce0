package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.capsule.protocol.FuelExhaustedException;
import java.util.List;

/**
 * The host side of fuel metering for ONE run of an {@linkplain FuelInstrumenter instrumented}
 * module: it hands the guest its budget in chunks and can stop the guest from another thread.
 *
 * <p>Wiring: add {@link #refillFunction()} to the instance's imports; run; then read the exported
 * global {@value FuelInstrumenter#FUEL_GLOBAL} and pass it to {@link #consumed(long)} (or call
 * {@link #consumed(Instance)}).
 *
 * <p>The guest counts down the current chunk in the global and calls refill only when it finds the
 * chunk overdrawn, so the chunk size trades refill overhead (one host call per chunk) against how
 * late the guest notices {@link #stop()} (it looks only in refill). Chicory's interpreter ignores
 * {@link Thread#interrupt()} in {@code br_if} loops, so there a stop waits for the rest of the
 * chunk. Measured on a {@code br_if} spin in the interpreter: a 1,000,000-unit chunk stops in 45–70
 * ms once warm and ~800 ms on a cold JVM; a 100,000-unit chunk in 1–10 ms. A refill per 100,000
 * units costs about 1 µs per 30–100 µs of compiled guest work (≈1 %), so that is the default.
 */
public final class FuelMeter {
  /** The default chunk: 100,000 units (see the class comment for the trade-off). */
  public static final long DEFAULT_CHUNK = 100_000L;

  /**
   * The largest chunk handed out (2^30 units): a larger chunk asked for is handed out in pieces of
   * this size. The guest's count then stays within an i32 after each check, which functions that
   * hand their count back packed beside an i32 result rely on (see {@code FuelParameters}).
   */
  public static final long MAX_CHUNK = 1L << 30;

  private static final FunctionType REFILL_TYPE =
      FunctionType.of(List.of(ValType.I64), List.of(ValType.I64));

  /**
   * Fuel shared by several runs (the attempts of one task tree), besides each run's own budget. A
   * refill takes its chunk from the pool too; the chunk a run holds when it ends is not given back
   * (at most one chunk per run).
   */
  public interface Pool {
    /** A pool that never runs dry. */
    Pool UNLIMITED = wanted -> wanted;

    /**
     * Takes up to {@code wanted} units.
     *
     * @return the units taken, between 0 and {@code wanted}
     */
    long take(long wanted);
  }

  private final long budget;
  private final long chunk;
  private final Pool pool;
  private long granted;
  private boolean exhausted;
  private boolean uncharged;
  private volatile boolean stopped;

  /**
   * Creates a meter with the {@linkplain #DEFAULT_CHUNK default chunk}.
   *
   * @param budget the fuel the run may use, positive
   */
  public FuelMeter(long budget) {
    this(budget, DEFAULT_CHUNK);
  }

  /**
   * Creates a meter.
   *
   * @param budget the fuel the run may use, positive
   * @param chunk the fuel handed out per refill, positive
   */
  public FuelMeter(long budget, long chunk) {
    this(budget, chunk, Pool.UNLIMITED);
  }

  /**
   * Creates a meter whose refills also draw from {@code pool}.
   *
   * @param budget the fuel the run may use, positive
   * @param chunk the fuel handed out per refill, positive (at most {@link #MAX_CHUNK} is used)
   * @param pool fuel shared with other runs
   */
  public FuelMeter(long budget, long chunk, Pool pool) {
    if (budget <= 0 || chunk <= 0) {
      throw new IllegalArgumentException("budget and chunk must be positive");
    }
    this.budget = budget;
    this.chunk = Math.min(chunk, MAX_CHUNK);
    this.pool = java.util.Objects.requireNonNull(pool, "pool");
  }

  /** The fuel budget of the run. */
  public long budget() {
    return budget;
  }

  /** The host function to import as {@code capsule_meter.refill}. */
  public HostFunction refillFunction() {
    return new HostFunction(
        FuelInstrumenter.METER_MODULE,
        FuelInstrumenter.REFILL_FUNCTION,
        REFILL_TYPE,
        (instance, args) -> new long[] {refill(args[0])});
  }

  /**
   * Tops up an overdrawn count: the guest's refill import.
   *
   * @param count the guest's count, negative when overdrawn
   * @return the new count, at least zero
   * @throws FuelExhaustedException when the budget cannot cover the overdraft
   * @throws MeterStoppedException after {@link #stop()}
   */
  public long refill(long count) {
    if (stopped) {
      throw new MeterStoppedException();
    }
    if (count >= 0) {
      return count;
    }
    if (uncharged) {
      return count + Math.max(chunk, -count);
    }
    long remaining = budget - granted;
    if (-count > remaining) {
      exhausted = true;
      throw new FuelExhaustedException(budget);
    }
    long grant = pool.take(Math.min(remaining, Math.max(chunk, -count)));
    if (grant < -count) {
      exhausted = true;
      throw new FuelExhaustedException(budget);
    }
    granted += grant;
    return count + grant;
  }

  /**
   * Charges {@code units} of host work done for the guest (see {@code internal.HostCallCharges}) to
   * the running {@code instance}, as its own code would: the units come off the fuel global, and an
   * overdrawn count is refilled from the budget, so the charge counts in {@link #consumed} exactly
   * like the guest's operators, is forgiven likewise while charging is {@linkplain #deferCharging()
   * deferred}, and fails the same way when the budget cannot cover it. Call it from a host function
   * (the instrumented code writes its count back to the global before every call and reloads it
   * after), before doing the work where the size is known in advance.
   *
   * @param instance the instrumented instance being run
   * @param units the fuel to charge, not negative
   * @throws FuelExhaustedException when the budget cannot cover the charge
   * @throws MeterStoppedException after {@link #stop()}, when the charge needs a refill
   */
  public void charge(Instance instance, long units) {
    if (units < 0) {
      throw new IllegalArgumentException("negative charge " + units);
    }
    if (units == 0) {
      return;
    }
    var global = instance.exports().global(FuelInstrumenter.FUEL_GLOBAL);
    long count = global.getValue();
    // a charge beyond any budget is charged as a quarter of the long range (no overflow below)
    long left = count - Math.min(units, Long.MAX_VALUE / 4);
    global.setValue(left < 0 ? refill(left) : left);
  }

  /**
   * Hands out fuel without charging it until {@link #restart()}: for an interpreter's start-up,
   * which is Capsule's work, not the task's (a timeout still stops it).
   */
  public void deferCharging() {
    uncharged = true;
  }

  /**
   * Starts charging afresh: whatever the guest used so far (an interpreter's start-up) is forgiven.
   * Call it from a host function the guest calls at the point where the task's own work begins, and
   * set the fuel global to the returned value; the instrumented code reloads the global after every
   * call, so the guest continues with the full budget.
   *
   * @return the value to store in the fuel global
   */
  public long restart() {
    uncharged = false;
    granted = 0;
    exhausted = false;
    return 0;
  }

  /**
   * Makes the guest stop at its next refill, with {@link MeterStoppedException}. Safe to call from
   * any thread; the guest notices within about one chunk of work.
   */
  public void stop() {
    stopped = true;
  }

  /**
   * The fuel the run used, given the final value of the fuel global. Exact when the run ended
   * normally (returned or exited); at most the budget; zero while charging is {@linkplain
   * #deferCharging() deferred} (the run was stopped before the task's own work began).
   *
   * @param finalFuel the value of {@value FuelInstrumenter#FUEL_GLOBAL} after the run
   */
  public long consumed(long finalFuel) {
    if (uncharged) {
      return 0;
    }
    return exhausted(finalFuel) ? budget : granted - finalFuel;
  }

  /** {@link #consumed(long)} of the fuel global of {@code instance}. */
  public long consumed(Instance instance) {
    return consumed(fuelGlobal(instance));
  }

  /**
   * Whether the run used up its budget: refill refused it, or the run ended overdrawn beyond the
   * budget (a run is only checked at calls and loop headers, so it can finish slightly over).
   *
   * @param finalFuel the value of {@value FuelInstrumenter#FUEL_GLOBAL} after the run
   */
  public boolean exhausted(long finalFuel) {
    return exhausted || granted - finalFuel > budget;
  }

  /** {@link #restart()} for {@code instance}: also resets its fuel global. */
  public void restart(Instance instance) {
    instance.exports().global(FuelInstrumenter.FUEL_GLOBAL).setValue(restart());
  }

  /** The current value of the fuel global of an instrumented instance. */
  public static long fuelGlobal(Instance instance) {
    return instance.exports().global(FuelInstrumenter.FUEL_GLOBAL).getValue();
  }
}
