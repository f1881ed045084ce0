package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import io.capsule.sandbox.testing.SandboxesByMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class SandboxTest {
  @TempDir static Path cache;
  private static SandboxesByMode sandboxes;

  @BeforeAll
  static void start() {
    sandboxes =
        SandboxesByMode.create(
            cache, b -> b.withRetryBackoff(Duration.ofMillis(1), Duration.ofMillis(5)));
  }

  @AfterAll
  static void stop() {
    sandboxes.close();
  }

  private static ResultEnvelope run(ExecutionMode mode, String wat, TaskOptions options) {
    Sandbox sandbox = sandboxes.get(mode);
    return sandbox.run(sandbox.prepare(Corpus.wat(wat)), new TaskCall(options, List.of()));
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void stdoutJsonBecomesTheResult(ExecutionMode mode) {
    ResultEnvelope envelope = run(mode, "hello", TaskOptions.NONE);
    assertThat(envelope.success()).isTrue();
    assertThat(envelope.result().get("hello").asText()).isEqualTo("world");
    assertThat(envelope.error()).isNull();
    assertThat(envelope.execution().taskName()).isEqualTo("main");
    assertThat(envelope.execution().ramUsed()).isEqualTo(65_536);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void setResultWinsOverStdout(ExecutionMode mode) {
    ResultEnvelope envelope = run(mode, "set_result", TaskOptions.NONE);
    assertThat(envelope.result().get("processed").asInt()).isEqualTo(5);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void nonZeroExitIsATaskErrorCarryingTheLastLogLine(ExecutionMode mode) {
    ResultEnvelope envelope = run(mode, "exit_3", TaskOptions.NONE);
    assertThat(envelope.success()).isFalse();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message()).contains("code 3").contains("input was empty");
    assertThat(envelope.logs()).contains("input was empty");
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void trapsAndOutOfBoundsAccessAreWasmErrors(ExecutionMode mode) {
    assertThat(run(mode, "unreachable", TaskOptions.NONE).error().errorType())
        .isEqualTo(ErrorType.WASM_ERROR);
    assertThat(run(mode, "out_of_bounds", TaskOptions.NONE).error().errorType())
        .isEqualTo(ErrorType.WASM_ERROR);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void deepRecursionIsAWasmErrorAndTheSandboxCarriesOn(ExecutionMode mode) {
    ResultEnvelope envelope = run(mode, "deep_recursion", TaskOptions.NONE);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.WASM_ERROR);
    assertThat(envelope.error().message()).contains("call stack exhausted");
    assertThat(run(mode, "hello", TaskOptions.NONE).success()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void memoryBombStopsAtTheRamCapAsMemoryLimit(ExecutionMode mode) {
    var options = TaskOptions.builder().ram(ByteSize.parse("2MB")).build();
    ResultEnvelope envelope = run(mode, "memory_bomb", options);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.execution().ramUsed()).isLessThanOrEqualTo(2L << 20);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void memoryBombWithoutRamStopsAtTheSandboxDefaultCap(ExecutionMode mode) {
    ResultEnvelope envelope = run(mode, "memory_bomb", TaskOptions.NONE);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.MEMORY_LIMIT);
    assertThat(envelope.execution().ramUsed())
        .isLessThanOrEqualTo(SandboxConfig.defaults().defaultRam().bytes())
        .isGreaterThan(SandboxConfig.defaults().defaultRam().bytes() - (1L << 20));
  }

  static Stream<Arguments> loopShapesInBothModes() {
    return Stream.of("spin_br", "spin_br_if", "spin_br_table", "spin_recursion", "sleep_forever")
        .flatMap(w -> Stream.of(ExecutionMode.values()).map(m -> Arguments.of(w, m)));
  }

  @ParameterizedTest
  @MethodSource("loopShapesInBothModes")
  void timeoutStopsEveryLoopShapeInCompiledAndInterpretedMode(String wat, ExecutionMode mode) {
    var options =
        TaskOptions.builder()
            .timeout(Duration.ofMillis(300))
            .compute(Compute.parse("HIGH"))
            .build();
    long start = System.nanoTime();
    ResultEnvelope envelope = run(mode, wat, options);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat(envelope.error().message()).contains("300ms");
    assertThat(sandboxes.get(mode).config().stopGrace().toNanos() + 300_000_000L)
        .as("the attempt returned within timeout + stop grace")
        .isGreaterThan(System.nanoTime() - start);
    assertThat(run(mode, "hello", TaskOptions.NONE).success()).isTrue();
  }

  static Stream<Arguments> spinsInBothModes() {
    return Stream.of("spin_br", "spin_br_if", "spin_br_table", "spin_recursion")
        .flatMap(w -> Stream.of(ExecutionMode.values()).map(m -> Arguments.of(w, m)));
  }

  @ParameterizedTest
  @MethodSource("spinsInBothModes")
  void everyLoopShapeRunsOutOfFuelWithConsumedEqualToTheBudget(String wat, ExecutionMode mode) {
    var options = TaskOptions.builder().compute(Compute.custom(2_000_000)).build();
    ResultEnvelope envelope = run(mode, wat, options);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.FUEL_EXHAUSTED);
    assertThat(envelope.execution().fuelConsumed()).isEqualTo(2_000_000);
  }

  @Test
  void lowComputeStopsAnEndlessLoopAsFuelExhausted() {
    var options = TaskOptions.builder().compute(Compute.parse("LOW")).build();
    ResultEnvelope envelope = run(ExecutionMode.COMPILED, "spin_br_if", options);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.FUEL_EXHAUSTED);
    assertThat(envelope.execution().fuelConsumed()).isEqualTo(100_000_000L);
    assertThat(envelope.error().message()).contains("100000000");
  }

  @Test
  void fuelIsExactAndIdenticalInBothModes() {
    for (String wat : List.of("hello", "set_result", "exit_3")) {
      long compiled = run(ExecutionMode.COMPILED, wat, TaskOptions.NONE).execution().fuelConsumed();
      long interpreted =
          run(ExecutionMode.INTERPRETED, wat, TaskOptions.NONE).execution().fuelConsumed();
      assertThat(compiled).as(wat).isPositive().isEqualTo(interpreted);
    }
    Sandbox sandbox = sandboxes.get(ExecutionMode.COMPILED);
    PreparedModule lz = sandbox.prepare(Corpus.resource("cpu/lz.wasm"));
    long first = sandbox.run(lz, TaskCall.of(List.of())).execution().fuelConsumed();
    long second = sandbox.run(lz, TaskCall.of(List.of())).execution().fuelConsumed();
    assertThat(first).isGreaterThan(1_000_000).isEqualTo(second);
  }

  @Test
  void aBudgetThatExactlyCoversTheRunSucceeds() {
    long needed = run(ExecutionMode.COMPILED, "hello", TaskOptions.NONE).execution().fuelConsumed();
    var exact = TaskOptions.builder().compute(Compute.custom(needed)).build();
    var tooSmall = TaskOptions.builder().compute(Compute.custom(needed - 1)).build();
    for (ExecutionMode mode : ExecutionMode.values()) {
      ResultEnvelope ok = run(mode, "hello", exact);
      assertThat(ok.success()).isTrue();
      assertThat(ok.execution().fuelConsumed()).isEqualTo(needed);
      ResultEnvelope over = run(mode, "hello", tooSmall);
      assertThat(over.error().errorType()).isEqualTo(ErrorType.FUEL_EXHAUSTED);
      assertThat(over.execution().fuelConsumed()).isEqualTo(needed - 1);
    }
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void retryableFailuresAreRetriedAndCountedHonestly(ExecutionMode mode) {
    var options = TaskOptions.builder().maxRetries(2).build();
    ResultEnvelope envelope = run(mode, "exit_3", options);
    assertThat(envelope.execution().retries()).isEqualTo(2);
    assertThat(envelope.attempt()).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void deterministicFailuresAreNotRetried(ExecutionMode mode) {
    var options = TaskOptions.builder().maxRetries(3).build();
    ResultEnvelope envelope = run(mode, "unreachable", options);
    assertThat(envelope.execution().retries()).isZero();
  }

  @Test
  void garbageAndTruncatedModulesAreInvalidModules() {
    Sandbox sandbox = sandboxes.get(ExecutionMode.COMPILED);
    byte[] hello = Corpus.wat("hello");
    byte[] truncated = java.util.Arrays.copyOf(hello, hello.length - 7);
    assertThatThrownBy(() -> sandbox.prepare("garbage!".getBytes()))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("magic");
    assertThatThrownBy(() -> sandbox.prepare(truncated)).isInstanceOf(InvalidModuleException.class);
  }

  @Test
  void modulesThatAreNotTaskCommandsAreInvalid() {
    Sandbox sandbox = sandboxes.get(ExecutionMode.COMPILED);
    assertThatThrownBy(() -> sandbox.prepare(Corpus.wat("no_start")))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("_start");
    assertThatThrownBy(() -> sandbox.prepare(Corpus.wat("foreign_import")))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("env.launch_missiles");
  }
}
