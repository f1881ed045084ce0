package io.capsule.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wasm.Parser;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.sandbox.WatAssembler;
import io.capsule.sandbox.testing.Corpus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModuleLimitsTest {
  private static void check(byte[] wasm) {
    ModuleLimits.check(Parser.parse(wasm), wasm.length);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "cpu/fib.wasm",
        "cpu/loop.wasm",
        "cpu/lz.wasm",
        "cpu/matmul.wasm",
        "cpu/qsort.wasm",
        "wasi/fileprobe.wasm"
      })
  void clangOutputIsAccepted(String path) {
    assertThatCode(() -> check(Corpus.resource(path))).doesNotThrowAnyException();
  }

  @Test
  void theCSdkExampleIsAccepted() {
    assertThatCode(() -> check(Corpus.sdkExample("http_get"))).doesNotThrowAnyException();
  }

  @Test
  void referenceTypesAndBulkMemoryAreAccepted() {
    String wat =
        """
        (module
          (table $t 1 externref)
          (memory 1)
          (global $g (mut externref) (ref.null extern))
          (func (param externref) (result i32)
            (memory.fill (i32.const 0) (i32.const 0) (i32.const 16))
            (table.grow $t (local.get 0) (i32.const 1))))
        """;
    assertThatCode(() -> check(WatAssembler.assemble(wat))).doesNotThrowAnyException();
  }

  @Test
  void aModuleOverTheSizeLimitIsRefused() {
    byte[] hello = Corpus.wat("hello");
    assertThatThrownBy(
            () -> ModuleLimits.check(Parser.parse(hello), ModuleLimits.MAX_MODULE_BYTES + 1))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("module size in bytes");
  }
}
