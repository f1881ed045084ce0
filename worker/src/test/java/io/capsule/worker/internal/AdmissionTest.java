package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdmissionTest {
  @Test
  void admitsWhileSlotsAndMemoryLast() {
    Admission admission = new Admission(3, 100);
    assertThat(admission.tryAcquire(60)).isTrue();
    assertThat(admission.tryAcquire(50)).isFalse();
    assertThat(admission.tryAcquire(40)).isTrue();
    assertThat(admission.tryAcquire(0)).isTrue();
    assertThat(admission.tryAcquire(0)).isFalse();
    admission.release(60);
    assertThat(admission.tryAcquire(50)).isTrue();
    assertThat(admission.peakReserved()).isEqualTo(100);
    assertThat(admission.fitsAtAll(101)).isFalse();
  }

  @Test
  void aSuspendedTaskLeavesRoomAndResumesEvenOverTheLimits() {
    Admission admission = new Admission(1, 100);
    assertThat(admission.tryAcquire(80)).isTrue();
    assertThat(admission.tryAcquire(80)).isFalse();
    admission.suspend(80);
    assertThat(admission.running()).isZero();
    assertThat(admission.tryAcquire(80)).isTrue();
    admission.resume(80);
    assertThat(admission.running()).isEqualTo(2);
    assertThat(admission.reserved()).isEqualTo(160);
    assertThat(admission.tryAcquire(0)).isFalse();
    admission.release(80);
    admission.release(80);
    assertThat(admission.running()).isZero();
    assertThat(admission.reserved()).isZero();
  }
}
