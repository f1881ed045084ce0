package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.Parser;
import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bodies built to make the splitter slow or large: it does bounded work per byte of body and leaves
 * what it cannot split in bounds as it is (reported), still valid.
 */
class HostileBodiesTest {
  /**
   * 100,000 tiny blocks under a value kept on the stack: the only regions are the blocks' bodies, 9
   * bytes each, so moving them one per round until the 1.2 MB body fits would scan it 100,000
   * times. Several move per round, and the splitter stops at its bounds: the work budget, or the
   * regions moved out of one function.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void manyTinyRegionsStopAtTheWorkBudget() {
    var body = new WasmWriter().u32(0).u8(0x41).u8(0);
    for (int i = 0; i < 100_000; i++) {
      body.u8(0x02).u8(0x40);
      for (int j = 0; j < 3; j++) {
        body.u8(0x41).u8(1).u8(0x1A);
      }
      body.u8(0x0B);
    }
    byte[] wasm = module(body.u8(0x1A).u8(0x0B).toByteArray());

    var split = FunctionSplitter.split(wasm, Parser.parse(wasm), 1_000);

    assertThat(split.report().leftLarge()).hasSize(1);
    assertThat(split.report().functionsAdded()).isLessThanOrEqualTo(FunctionSplit.MAX_REGIONS);
  }

  /** A body above the splitter's size cap is left whole, and reported. */
  @Test
  void bodyAboveTheCapIsLeftWhole() {
    var body = new WasmWriter().u32(0);
    int statements = FunctionSplitter.MAX_SPLIT_BODY / 3 + 1;
    for (int i = 0; i < statements; i++) {
      body.u8(0x41).u8(1).u8(0x1A);
    }
    byte[] wasm = module(body.u8(0x0B).toByteArray());

    var split = FunctionSplitter.split(wasm, Parser.parse(wasm), 1_000);

    assertThat(split.bytes()).isEqualTo(wasm);
    assertThat(split.report().leftLarge()).hasSize(1);
  }

  /**
   * 200 blocks that may each leave a block of 200 results: every region moved out hands back 200
   * values, which its glue keeps in 200 locals of the split function. Moving them all would add
   * thousands of locals; the splitter stops at its bound and the module stays valid.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void regionsLeavingWideLabelsStopAtTheLocalsBound() {
    int width = 200;
    var body = new WasmWriter().u32(0).u8(0x02).u8(1); // block (type 1): () -> (i32 x 200)
    for (int i = 0; i < 200; i++) {
      body.u8(0x02).u8(0x40);
      for (int j = 0; j < width; j++) {
        body.u8(0x41).u8(0);
      }
      body.u8(0x41).u8(1).u8(0x0D).u8(1); // br_if to the wide block, carrying 200 values
      for (int j = 0; j < width; j++) {
        body.u8(0x1A);
      }
      body.u8(0x0B);
    }
    for (int j = 0; j < width; j++) {
      body.u8(0x41).u8(0);
    }
    body.u8(0x0B);
    for (int j = 0; j < width; j++) {
      body.u8(0x1A);
    }
    var wide = new WasmWriter().u8(0x60).u32(0).u32(width);
    for (int j = 0; j < width; j++) {
      wide.u8(0x7F);
    }
    byte[] wasm = module(body.u8(0x0B).toByteArray(), wide.toByteArray());

    var split = FunctionSplitter.split(wasm, Parser.parse(wasm), 2_000);

    assertThat(split.report().functionsAdded()).isPositive();
    assertThat(split.module().codeSection().getFunctionBody(0).localTypes())
        .hasSizeLessThanOrEqualTo(FunctionSplit.MAX_LOCALS);
  }

  /** {@code (module (func (export "f")))} with {@code body}. */
  private static byte[] module(byte[] body) {
    return module(body, new byte[0]);
  }

  /** The same, with {@code extraType} (encoded) as type 1 if not empty. */
  private static byte[] module(byte[] body, byte[] extraType) {
    var module = new WasmWriter().u8(0).u8('a').u8('s').u8('m').u8(1).u8(0).u8(0).u8(0);
    var types = new WasmWriter().u32(extraType.length == 0 ? 1 : 2).u8(0x60).u32(0).u32(0);
    module.section(1, types.bytes(extraType).toByteArray());
    module.section(3, new WasmWriter().u32(1).u32(0).toByteArray());
    module.section(7, new WasmWriter().u32(1).name("f").u8(0).u32(0).toByteArray());
    return module
        .section(10, new WasmWriter().u32(1).u32(body.length).bytes(body).toByteArray())
        .toByteArray();
  }
}
