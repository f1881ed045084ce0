package io.capsule.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import org.junit.jupiter.api.Test;

class GuestMemoryPoolTest {
  private static final MemoryLimits ONE_PAGE = new MemoryLimits(1, 1);

  @Test
  void handsOutTheMemoryGivenBackLastFirst() {
    var pool = new GuestMemoryPool();
    ByteArrayMemory older = pool.take(ONE_PAGE);
    ByteArrayMemory newer = pool.take(ONE_PAGE);
    pool.give(older, ONE_PAGE);
    pool.give(newer, ONE_PAGE);

    assertThat(pool.take(ONE_PAGE)).isSameAs(newer);
    assertThat(pool.take(ONE_PAGE)).isSameAs(older);
  }

  @Test
  void aReusedMemoryIsZeroedWhole() {
    var pool = new GuestMemoryPool();
    ByteArrayMemory used = pool.take(ONE_PAGE);
    used.writeByte(0, (byte) 7);
    used.writeByte(65_535, (byte) 9);
    pool.give(used, ONE_PAGE);

    ByteArrayMemory reused = pool.take(ONE_PAGE);

    assertThat(reused).isSameAs(used);
    assertThat(reused.read(0)).isZero();
    assertThat(reused.read(65_535)).isZero();
  }

  @Test
  void aGrownMemoryIsNotKept() {
    var pool = new GuestMemoryPool();
    MemoryLimits limits = new MemoryLimits(1, 4);
    ByteArrayMemory memory = pool.take(limits);
    memory.grow(1);
    pool.give(memory, limits);

    assertThat(pool.take(limits)).isNotSameAs(memory);
  }

  @Test
  void tasksDeclaringEverOtherLimitsLeaveAtMostABoundedNumberOfStacksBehind() {
    var pool = new GuestMemoryPool();
    // a hostile stream: every task another maximum (or another ram cap, which clamps it)
    for (int max = 1; max <= 10 * GuestMemoryPool.MAX_SHAPES; max++) {
      MemoryLimits limits = new MemoryLimits(1, max);
      pool.give(pool.take(limits), limits);
    }

    assertThat(pool.shapes()).isEqualTo(GuestMemoryPool.MAX_SHAPES);
    ByteArrayMemory memory = pool.take(ONE_PAGE); // a kept shape is still reused
    pool.give(memory, ONE_PAGE);
    assertThat(pool.take(ONE_PAGE)).isSameAs(memory);
  }
}
