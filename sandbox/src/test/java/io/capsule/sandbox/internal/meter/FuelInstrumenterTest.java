package io.capsule.sandbox.internal.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.InvalidModuleException;
import io.capsule.sandbox.WatAssembler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class FuelInstrumenterTest {
  /** A small chunk, so that every test run refills many times. */
  private static final long SMALL_CHUNK = 997;

  private static final long LARGE_BUDGET = Long.MAX_VALUE / 4;

  /** A module to run, how, and with which arguments. */
  record Program(String name, byte[] wasm, String entry, List<String> args) {
    @Override
    public String toString() {
      return name;
    }

    static Program wat(String name, String wat) {
      return new Program(name, WatModules.binary(wat), "run", List.of());
    }

    static Program cpu(String name, String size) {
      return new Program(name, Guest.corpus("cpu/" + name + ".wasm"), "_start", List.of(size));
    }
  }

  static Stream<Program> programs() {
    return Stream.of(
        Program.wat("control", WatModules.CONTROL),
        Program.wat("renumber", WatModules.RENUMBER),
        Program.wat("bulk", WatModules.BULK),
        Program.wat("tables", WatModules.TABLES),
        Program.wat("exit", WatModules.EXIT),
        new Program("count-returns", WatModules.countReturns(), "run", List.of()),
        Program.cpu("fib", "12"),
        Program.cpu("loop", "500"),
        Program.cpu("qsort", "200"),
        Program.cpu("matmul", "6"),
        Program.cpu("lz", "2000"));
  }

  static Stream<Arguments> programsInEveryModeAndStrategy() {
    var cases = new ArrayList<Arguments>();
    programs()
        .forEach(
            p -> {
              for (ExecutionMode mode : ExecutionMode.values()) {
                for (MeteringStrategy strategy : MeteringStrategy.values()) {
                  cases.add(Arguments.of(p, mode, strategy));
                }
              }
            });
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("programsInEveryModeAndStrategy")
  void fuelEqualsTheOriginalModulesOperatorCount(
      Program program, ExecutionMode mode, MeteringStrategy strategy) {
    Guest.Run reference = Guest.reference(program.wasm(), program.entry(), program.args());
    InstrumentedModule metered = FuelInstrumenter.instrument(program.wasm(), strategy);

    Guest.Run run =
        Guest.metered(
            metered,
            mode,
            new FuelMeter(LARGE_BUDGET, SMALL_CHUNK),
            program.entry(),
            program.args());

    assertThat(reference.fuel()).isPositive();
    assertThat(run.fuel()).isEqualTo(reference.fuel());
    assertThat(run.results()).isEqualTo(reference.results());
    assertThat(run.stdout()).isEqualTo(reference.stdout());
  }

  @Test
  void directlyCalledFunctionsWithNoOrOneI32ResultReturnTheirCount() {
    var module = FuelInstrumenter.instrument(WatModules.countReturns()).module();

    // defined functions in text order: leaf bump skip out even odd exit_if wide twice tail run
    List<String> types = new ArrayList<>();
    for (int i = 0; i < module.functionSection().functionCount(); i++) {
      var type = module.functionSection().getFunctionType(i, module.typeSection());
      types.add(type.params() + " -> " + type.returns());
    }

    assertThat(types)
        .containsExactly(
            "[I32, I64] -> [I64]", // leaf: count packed beside its i32 result
            "[I32, I64] -> [I64]", // bump: no result, the count alone
            "[I32, I64] -> [I64]", // skip: left by a br to its label
            "[I32, I64] -> [I64]", // out: an i32 left by a br to its label
            "[I32, I64] -> [I64]", // even
            "[I32, I64] -> [I64]", // odd
            "[I32, I64] -> [I32]", // exit_if: a br_if leaves it, count via the global
            "[I64, I64] -> [I64]", // wide: an i64 result, count via the global
            "[I32, I64] -> [I32]", // twice: a tail call's target
            "[I32, I64] -> [I32]", // tail: makes a tail call
            "[] -> [I32]"); // run: exported, reads the global
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aChunkLargerThanAPackedCountHoldsStillGivesExactFuel(ExecutionMode mode) {
    Program fib = Program.cpu("fib", "12");
    Guest.Run reference = Guest.reference(fib.wasm(), fib.entry(), fib.args());

    // a chunk of 2^62 would not fit the high half of a packed i32 result: it is capped
    Guest.Run run =
        Guest.metered(
            FuelInstrumenter.instrument(fib.wasm()),
            mode,
            new FuelMeter(LARGE_BUDGET, Long.MAX_VALUE / 2),
            fib.entry(),
            fib.args());

    assertThat(run.fuel()).isEqualTo(reference.fuel());
    assertThat(run.stdout()).isEqualTo(reference.stdout());
  }

  /** wabt's wat2wasm (C++, 1.5 MB), as bundled with Chicory's wabt artifact. */
  private static final InstrumentedModule WAT2WASM = FuelInstrumenter.instrument(wat2wasm());

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void fuelOfALargeRealModuleEqualsItsOperatorCount(ExecutionMode mode, @TempDir Path dir)
      throws IOException {
    Files.writeString(dir.resolve("in.wat"), WatModules.CONTROL);
    List<String> args = List.of("/w/in.wat", "-o", "/w/out.wasm");

    Guest.Run reference = Guest.reference(wat2wasm(), "_start", args, dir);
    Guest.Run run =
        Guest.metered(
            WAT2WASM, mode, new FuelMeter(LARGE_BUDGET, SMALL_CHUNK), "_start", args, dir);

    assertThat(run.fuel()).isEqualTo(reference.fuel()).isGreaterThan(100_000);
    assertThat(Files.readAllBytes(dir.resolve("out.wasm")))
        .isEqualTo(WatModules.binary(WatModules.CONTROL));
  }

  private static byte[] wat2wasm() {
    try (InputStream in = WatAssembler.class.getResourceAsStream("/wat2wasm")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void functionIndicesTablesGlobalsAndStartSurviveRenumbering(ExecutionMode mode) {
    InstrumentedModule metered =
        FuelInstrumenter.instrument(WatModules.binary(WatModules.RENUMBER));

    Guest.Run run = Guest.metered(metered, mode, new FuelMeter(LARGE_BUDGET), "run", List.of());

    assertThat(run.results()).containsExactly(192L);
    var exports = metered.module().exportSection();
    assertThat(exports.getExport(exports.exportCount() - 1).name())
        .isEqualTo(FuelInstrumenter.FUEL_GLOBAL);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void memoryFillAndCopyAreChargedByLength(ExecutionMode mode) {
    long small = fillFuel(mode, 10);
    long large = fillFuel(mode, 10_010);

    assertThat(large - small).isEqualTo(10_000);
  }

  private static long fillFuel(ExecutionMode mode, int length) {
    String wat =
        "(module (memory 1) (func (export \"run\")"
            + " (memory.fill (i32.const 0) (i32.const 7) (i32.const "
            + length
            + "))))";
    var metered = FuelInstrumenter.instrument(WatModules.binary(wat));
    return Guest.metered(metered, mode, new FuelMeter(LARGE_BUDGET), "run", List.of()).fuel();
  }

  @Test
  void refusesAModuleImportingTheMeterModule() {
    byte[] wasm =
        WatModules.binary(
            "(module (import \"capsule_meter\" \"refill\" (func (param i64) (result i64))))");

    assertThatThrownBy(() -> FuelInstrumenter.instrument(wasm))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("capsule_meter");
  }

  @Test
  void refusesAModuleExportingTheFuelGlobalName() {
    byte[] wasm =
        WatModules.binary("(module (global (export \"capsule_fuel\") i64 (i64.const 0)))");

    assertThatThrownBy(() -> FuelInstrumenter.instrument(wasm))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("capsule_fuel");
  }

  @Test
  void refusesBytesThatAreNotAValidModule() {
    byte[] garbage = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1};

    assertThatThrownBy(() -> FuelInstrumenter.instrument(garbage))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageStartingWith("invalid WebAssembly module")
        .hasMessageNotContaining("\n");
  }

  @Test
  void dropsTheNameSectionAndKeepsOtherCustomSections() {
    byte[] module = WatModules.binary("(module (func (export \"run\")))");
    byte[] withCustom = concat(module, customSection("name", 1, 4, 1, 0, 1, 'f'));
    withCustom = concat(withCustom, customSection("notes", 42));

    var metered = FuelInstrumenter.instrument(withCustom).module();

    assertThat(metered.customSections()).extracting(c -> c.name()).containsExactly("notes");
  }

  private static byte[] customSection(String name, int... content) {
    var section = new ByteArrayOutputStream();
    section.write(name.length());
    section.writeBytes(name.getBytes(StandardCharsets.UTF_8));
    for (int b : content) {
      section.write(b);
    }
    return concat(new byte[] {0, (byte) section.size()}, section.toByteArray());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] joined = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, joined, a.length, b.length);
    return joined;
  }

  @Test
  void instrumentsAModuleWithoutTypesImportsGlobalsOrExports() {
    var metered = FuelInstrumenter.instrument(WatModules.binary("(module)"));

    assertThat(metered.module().exportSection().getExport(0).name())
        .isEqualTo(FuelInstrumenter.FUEL_GLOBAL);
  }
}
