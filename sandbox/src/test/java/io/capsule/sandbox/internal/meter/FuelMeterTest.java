package io.capsule.sandbox.internal.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.FuelExhaustedException;
import org.junit.jupiter.api.Test;

class FuelMeterTest {
  @Test
  void refillHandsOutChunksAndCountsWhatWasUsed() {
    var meter = new FuelMeter(2_500, 1_000);

    assertThat(meter.refill(-3)).isEqualTo(997);
    assertThat(meter.refill(-10)).isEqualTo(990);

    assertThat(meter.consumed(400)).isEqualTo(2_000 - 400);
    assertThat(meter.exhausted(400)).isFalse();
  }

  @Test
  void lastRefillIsCappedByTheBudget() {
    var meter = new FuelMeter(1_500, 1_000);
    meter.refill(-1);

    assertThat(meter.refill(-1)).isEqualTo(499);
    assertThatThrownBy(() -> meter.refill(-1))
        .isInstanceOf(FuelExhaustedException.class)
        .hasMessageContaining("1500");
    assertThat(meter.consumed(-1)).isEqualTo(1_500);
  }

  @Test
  void aLargeOverdraftIsCoveredAtOnceWhenTheBudgetAllows() {
    var meter = new FuelMeter(1_000_000, 10);

    assertThat(meter.refill(-5_000)).isZero();
    assertThat(meter.consumed(0)).isEqualTo(5_000);
  }

  @Test
  void aRunThatEndsOverdrawnBeyondTheBudgetIsExhausted() {
    var meter = new FuelMeter(1_000, 1_000);
    meter.refill(-1);

    assertThat(meter.exhausted(-5)).isTrue();
    assertThat(meter.consumed(-5)).isEqualTo(1_000);
  }

  @Test
  void refillAfterStopThrows() {
    var meter = new FuelMeter(1_000);
    meter.stop();

    assertThatThrownBy(() -> meter.refill(-1)).isInstanceOf(MeterStoppedException.class);
  }

  @Test
  void nothingIsConsumedWhileChargingIsDeferredAndTheRestartCountsAfresh() {
    var meter = new FuelMeter(1_000, 100);
    meter.deferCharging();

    assertThat(meter.refill(-50_000)).isEqualTo(0);
    assertThat(meter.consumed(40)).isZero();
    assertThat(meter.exhausted(40)).isFalse();

    meter.restart();
    assertThat(meter.refill(-1)).isEqualTo(99);
    assertThat(meter.consumed(9)).isEqualTo(91);
  }
}
