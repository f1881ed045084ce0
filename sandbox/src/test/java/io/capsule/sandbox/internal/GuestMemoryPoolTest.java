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
}
