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
}
