package io.capsule.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.WatAssembler;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CappedMemoryTest {
  /** An active segment at 16, a passive one that {@code init} copies to 100. */
  private static final WasmModule MODULE =
      Parser.parse(
          WatAssembler.assemble(
              """
              (module
                (memory (export "memory") 1 2)
                (data (i32.const 16) "active")
                (data $later "passive")
                (func (export "init")
                  (memory.init $later (i32.const 100) (i32.const 0) (i32.const 7))))
              """));

  private static Instance instance(boolean forSnapshotRestore) {
    return Instance.builder(MODULE)
        .withMemoryFactory(
            limits ->
                forSnapshotRestore
                    ? CappedMemory.forSnapshotRestore(limits, 2)
                    : CappedMemory.create(limits, 2))
        .build();
  }

  @Test
  void plainMemoryGetsTheActiveSegmentsAtInstantiation() {
    Instance instance = instance(false);
    assertThat(instance.memory().readString(16, 6)).isEqualTo("active");
  }

  @Test
  void memoryForASnapshotRestoreStaysZeroButPassiveSegmentsStillInitialise() {
    Instance instance = instance(true);
    assertThat(instance.memory().readBytes(16, 6)).containsOnly(0);
    instance.export("init").apply();
    assertThat(instance.memory().readString(100, 7)).isEqualTo("passive");
  }

  @Test
  void memoryForASnapshotRestoreZeroesAndInitialisesNormallyAfterInstantiation() {
    Instance instance = instance(true);
    instance.memory().writeString(200, "left over");
    instance.memory().zero();
    assertThat(instance.memory().readBytes(200, 9)).containsOnly(0);
  }

  @Test
  void plainMemoryZeroesAfterInstantiation() {
    Instance instance = instance(false);
    instance.memory().writeString(200, "left over");
    instance.memory().zero();
    assertThat(instance.memory().readBytes(0, 65_536)).containsOnly(0);
  }

  @Test
  void aReleasedMemoryIsReusedOnlyZeroedWhole() {
    for (int round = 0; round < 3; round++) {
      Instance instance = instance(false);
      byte[] page = instance.memory().readBytes(0, 65_536);
      assertThat(new String(page, 16, 6, StandardCharsets.UTF_8)).isEqualTo("active");
      Arrays.fill(page, 16, 22, (byte) 0);
      assertThat(page).as("round %d", round).containsOnly(0);
      instance.memory().fill((byte) 0xA5, 0, 65_536);
      ((CappedMemory) instance.memory()).release();
    }
  }

  @Test
  void aReleasedMemoryCanNoLongerBeReadOrWritten() {
    Instance instance = instance(false);
    CappedMemory memory = (CappedMemory) instance.memory();
    memory.release();
    Instance next = instance(false); // may be given the released pages
    next.memory().writeString(200, "the next task's");
    assertThatThrownBy(() -> memory.readBytes(200, 15)).isInstanceOf(ChicoryException.class);
    assertThatThrownBy(() -> memory.writeByte(200, (byte) 1)).isInstanceOf(ChicoryException.class);
    assertThat(next.memory().readString(200, 15)).isEqualTo("the next task's");
  }
}
