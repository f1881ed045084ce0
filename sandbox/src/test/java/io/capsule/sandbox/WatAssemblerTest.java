package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wasm.Parser;
import io.capsule.protocol.InvalidModuleException;
import org.junit.jupiter.api.Test;

class WatAssemblerTest {

  @Test
  void assemblesTextIntoAModuleChicoryParses() {
    byte[] wasm =
        WatAssembler.assemble(
            "(module (func (export \"add\") (param i32 i32) (result i32)"
                + " local.get 0 local.get 1 i32.add))");
    assertThat(wasm).startsWith(0x00, 0x61, 0x73, 0x6d);
    assertThat(Parser.parse(wasm).exportSection().getExport(0).name()).isEqualTo("add");
  }

  @Test
  void badTextIsAnInvalidModuleWithWat2wasmsReason() {
    assertThatThrownBy(() -> WatAssembler.assemble("(module (func (i32.bogus)))"))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("does not assemble")
        .hasMessageContaining("bogus");
  }

  /** wat2wasm recurses per nesting level and runs out of its own stack: a typed refusal. */
  @Test
  void deeplyNestedTextIsAnInvalidModuleNotACrashOfTheAssembler() {
    int depth = 3_000;
    String text =
        "(module (func (export \"_start\")" + "(block ".repeat(depth) + ")".repeat(depth) + "))";

    assertThatThrownBy(() -> WatAssembler.assemble(text))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageStartingWith("WebAssembly text does not assemble: wat2wasm stopped");
  }
}
