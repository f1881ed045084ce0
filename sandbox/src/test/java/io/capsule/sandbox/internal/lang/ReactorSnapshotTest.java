package io.capsule.sandbox.internal.lang;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.protocol.MemoryLimitException;
import io.capsule.sandbox.WatAssembler;
import io.capsule.sandbox.internal.CappedMemory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReactorSnapshotTest {
  /** A reactor whose state is a counter global, a skipped global and a grown memory. */
  private static final WasmModule REACTOR =
      Parser.parse(
          WatAssembler.assemble(
              """
              (module
                (memory (export "memory") 1 4)
                (global $count (mut i32) (i32.const 0))
                (global $skip (export "skipped") (mut i64) (i64.const 0))
                (func (export "step") (result i32)
                  (global.set $count (i32.add (global.get $count) (i32.const 1)))
                  (global.set $skip (i64.const 99))
                  (i32.store (i32.const 70000) (global.get $count))
                  (global.get $count))
                (func (export "grow") (result i32) (memory.grow (i32.const 1)))
                (func (export "peek") (result i32) (i32.load (i32.const 70000))))
              """));

  private static Instance fresh(int capPages) {
    return Instance.builder(REACTOR)
        .withMemoryFactory(limits -> CappedMemory.create(limits, capPages))
        .build();
  }

  private static long call(Instance instance, String name) {
    return instance.export(name).apply()[0];
  }

  private static ReactorSnapshot stepped() {
    Instance original = fresh(4);
    call(original, "grow");
    call(original, "step");
    call(original, "step");
    return ReactorSnapshot.capture(original, Set.of("skipped"));
  }

  @Test
  void restoredInstanceContinuesFromTheCapturedStateButNotTheSkippedGlobals() {
    ReactorSnapshot snapshot = stepped();
    Instance copy = fresh(4);
    snapshot.restore(copy);
    assertThat(copy.memory().pages()).isEqualTo(2);
    assertThat(call(copy, "peek")).isEqualTo(2);
    assertThat(copy.exports().global("skipped").getValue()).isZero();
    assertThat(call(copy, "step")).isEqualTo(3);
    Instance other = fresh(4);
    snapshot.restore(other);
    assertThat(call(other, "step")).as("restores copy, they do not share").isEqualTo(3);
  }

  @Test
  void writtenSnapshotReadsBackTheSameState() throws IOException {
    var bytes = new ByteArrayOutputStream();
    stepped().writeTo(bytes);
    ReactorSnapshot read = ReactorSnapshot.readFrom(new ByteArrayInputStream(bytes.toByteArray()));
    Instance copy = fresh(4);
    read.restore(copy);
    assertThat(read.memoryBytes()).isEqualTo(2 * 65_536);
    assertThat(call(copy, "peek")).isEqualTo(2);
    assertThat(call(copy, "step")).isEqualTo(3);
    assertThat(bytes.size()).as("zero blocks are left out").isLessThan(16_384);
  }

  @Test
  void truncatedOrForeignBytesAreRefused() throws IOException {
    var bytes = new ByteArrayOutputStream();
    stepped().writeTo(bytes);
    byte[] whole = bytes.toByteArray();
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 100);
    assertThatThrownBy(() -> ReactorSnapshot.readFrom(new ByteArrayInputStream(cut)))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> ReactorSnapshot.readFrom(new ByteArrayInputStream(new byte[16])))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not a Capsule reactor snapshot");
  }

  @Test
  void stateLargerThanTheMemoryCapIsAMemoryLimit() {
    ReactorSnapshot snapshot = stepped();
    assertThatThrownBy(() -> snapshot.restore(fresh(1)))
        .isInstanceOf(MemoryLimitException.class)
        .hasMessageContaining("ram cap");
  }
}
