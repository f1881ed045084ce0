package io.capsule.sandbox.internal.meter;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.InvalidModuleException;
import org.junit.jupiter.api.Test;

/**
 * Exports of indices the module does not have: Chicory's parser lets them through (it checks them
 * only when it instantiates), so the rewriter must refuse them itself. Found by {@link
 * SpecSuiteDifferentialTest} ({@code exports.wast:78}).
 */
class UnknownExportTest {
  private static final byte[] HEADER = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};

  /** One immutable i32 global; exports "a" = global 1, which does not exist. */
  private static final byte[] GLOBAL_SECTION = {0x06, 0x06, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x0B};

  private static final byte[] EXPORT_GLOBAL_1 = {0x07, 0x05, 0x01, 0x01, 'a', 0x03, 0x01};

  /** One memory of one page; exports "m" = memory 1, which does not exist. */
  private static final byte[] MEMORY_SECTION = {0x05, 0x03, 0x01, 0x00, 0x01};

  private static final byte[] EXPORT_MEMORY_1 = {0x07, 0x05, 0x01, 0x01, 'm', 0x02, 0x01};

  @Test
  void anExportOfTheGlobalPastTheLastIsRefusedNotAliasedToTheFuelGlobal() {
    // without the check, the rewritten module is valid and exports its fuel global as "a"
    assertThatThrownBy(() -> FuelInstrumenter.instrument(module(GLOBAL_SECTION, EXPORT_GLOBAL_1)))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("\"a\" names unknown global 1");
  }

  @Test
  void anExportOfAnUnknownMemoryIsRefused() {
    assertThatThrownBy(() -> FuelInstrumenter.instrument(module(MEMORY_SECTION, EXPORT_MEMORY_1)))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("\"m\" names unknown memory 1");
  }

  private static byte[] module(byte[] section, byte[] exports) {
    byte[] wasm = new byte[HEADER.length + section.length + exports.length];
    System.arraycopy(HEADER, 0, wasm, 0, HEADER.length);
    System.arraycopy(section, 0, wasm, HEADER.length, section.length);
    System.arraycopy(exports, 0, wasm, HEADER.length + section.length, exports.length);
    return wasm;
  }
}
