package io.capsule.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import org.junit.jupiter.api.Test;

class GuestMemoryPoolTest {
  @Test
  void aMemoryGivenBackIsHandedOutAgainZeroed() {
    GuestMemoryPool pool = new GuestMemoryPool();
    MemoryLimits limits = new MemoryLimits(1, 4);
    ByteArrayMemory memory = pool.take(limits);
    memory.writeI32(100, 0x5ec2e7);
    pool.give(memory, limits);

    ByteArrayMemory again = pool.take(limits);

    assertThat(again).isSameAs(memory);
    assertThat(again.readInt(100)).isZero();
  }

  @Test
  void aGrownMemoryIsNotKept() {
    GuestMemoryPool pool = new GuestMemoryPool();
    MemoryLimits limits = new MemoryLimits(1, 4);
    ByteArrayMemory memory = pool.take(limits);
    memory.grow(1);
    pool.give(memory, limits);

    assertThat(pool.take(limits)).isNotSameAs(memory);
  }

  @Test
  void tasksDeclaringEverOtherLimitsLeaveAtMostABoundedNumberOfQueuesBehind() {
    GuestMemoryPool pool = new GuestMemoryPool();
    // a hostile stream: every task another maximum (or another ram cap, which clamps it)
    for (int max = 1; max <= 10 * GuestMemoryPool.MAX_SHAPES; max++) {
      MemoryLimits limits = new MemoryLimits(1, max);
      pool.give(pool.take(limits), limits);
    }

    assertThat(pool.shapes()).isEqualTo(GuestMemoryPool.MAX_SHAPES);
    MemoryLimits kept = new MemoryLimits(1, 1);
    ByteArrayMemory memory = pool.take(kept);
    pool.give(memory, kept);
    assertThat(pool.take(kept)).isSameAs(memory);
  }
}
