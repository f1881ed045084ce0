package io.capsule.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.WatAssembler;
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
}
