package io.capsule.sandbox.internal.meter;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FuelMeterStopTest {
  private static final String BR_IF_SPIN =
      "(module (func (export \"run\") (loop $l (br_if $l (i32.const 1)))))";

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void stopEndsABrIfSpinPromptly(ExecutionMode mode) throws Exception {
    var metered = FuelInstrumenter.instrument(WatModules.binary(BR_IF_SPIN));
    var meter = new FuelMeter(Long.MAX_VALUE);
    var running = new CountDownLatch(1);
    var imports = ImportValues.builder().addFunction(signalling(meter, running)).build();
    var instance =
        mode.configure(Instance.builder(metered.module()), metered.module())
            .withImportValues(imports)
            .build();
    var run = CompletableFuture.runAsync(() -> instance.export("run").apply());
    assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();

    long stoppedAt = System.nanoTime();
    meter.stop();
    Throwable failure = failureOf(run);

    assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).isLessThan(Duration.ofSeconds(2));
    assertThat(failure).isInstanceOf(MeterStoppedException.class);
  }

  /** The meter's refill, which also reports that the guest is running. */
  private static HostFunction signalling(FuelMeter meter, CountDownLatch running) {
    HostFunction refill = meter.refillFunction();
    return new HostFunction(
        refill.module(),
        refill.name(),
        refill.functionType(),
        (instance, args) -> {
          running.countDown();
          return refill.handle().apply(instance, args);
        });
  }

  private static Throwable failureOf(CompletableFuture<Void> run) throws Exception {
    try {
      run.get(10, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }
}
