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

  @Test
  void aLongTaskGivesBackItsSlotButKeepsItsRamUntilReleased() {
    Admission admission = new Admission(1, 100);
    Admission.Slot first = admission.tryTake(60);
    assertThat(first).isNotNull();
    assertThat(admission.tryTake(10)).isNull();
    assertThat(first.turnLong()).isTrue();
    assertThat(admission.tryTake(50)).isNull(); // 60 + 50 > 100: the ram is still reserved
    Admission.Slot second = admission.tryTake(40);
    assertThat(second).isNotNull();
    assertThat(admission.running()).isEqualTo(2);
    first.release();
    first.release();
    assertThat(admission.reserved()).isEqualTo(40);
    second.release();
    assertThat(second.turnLong()).isFalse();
    assertThat(admission.running()).isZero();
  }

  @Test
  void longTasksAreCappedAtMaxTasks() {
    Admission admission = new Admission(2, 1_000);
    for (int i = 0; i < admission.maxTasks(); i++) {
      Admission.Slot slot = admission.tryTake(1);
      assertThat(slot).isNotNull();
      slot.turnLong();
    }
    assertThat(admission.tryTake(1)).isNull();
    assertThat(admission.running()).isEqualTo(admission.maxTasks());
  }

  @Test
  void aSuspendedSlotFreesSlotAndRamWhetherLongOrNotAndCountsAgainOnResume() {
    Admission admission = new Admission(1, 100);
    Admission.Slot parent = admission.tryTake(80);
    Runnable resume = parent.suspend();
    assertThat(admission.running()).isZero();
    assertThat(admission.reserved()).isZero();
    Admission.Slot child = admission.tryTake(80);
    assertThat(child).isNotNull();
    assertThat(parent.turnLong()).isTrue(); // while suspended: nothing is given back twice
    resume.run();
    assertThat(admission.running()).isEqualTo(2);
    assertThat(admission.reserved()).isEqualTo(160);
    Runnable again = parent.suspend();
    assertThat(admission.running()).isEqualTo(1);
    child.release();
    again.run();
    parent.release();
    parent.release();
    assertThat(admission.running()).isZero();
    assertThat(admission.reserved()).isZero();
  }
}
