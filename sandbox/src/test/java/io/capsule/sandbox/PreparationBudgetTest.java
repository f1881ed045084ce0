package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile inputs against preparation's budgets: text too large to assemble, text and modules too
 * slow to prepare within a task's timeout. Each ends {@code invalid_module} naming the budget and
 * stage, at the deadline, while other tasks on the same sandbox run.
 */
class PreparationBudgetTest {
  private static final long GENEROUS_SECONDS = 120;

  @TempDir static Path cache;
  private static Sandbox sandbox;
  private static ExecutorService callers;

  @BeforeAll
  static void start() {
    sandbox =
        Sandbox.create(
            SandboxConfig.builder()
                .withExecutionMode(ExecutionMode.COMPILED)
                .withCacheDir(cache)
                .withMinPreparationTime(Duration.ZERO)
                .build());
    callers = Executors.newCachedThreadPool();
  }

  @AfterAll
  static void stop() {
    callers.shutdownNow();
    sandbox.close();
  }

  @Test
  void watOverTheSizeLimitIsRefusedBeforeAnyAssembly(@TempDir Path dir) throws Exception {
    String text = "(module)" + " ".repeat(WatAssembler.MAX_TEXT_BYTES);
    Path file = Files.writeString(dir.resolve("huge.wat"), text);

    assertThatThrownBy(() -> WatAssembler.assemble(text))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining(WatAssembler.MAX_TEXT_BYTES + "-byte limit of WAT assembly");
    assertThatThrownBy(() -> TaskFile.read(file, Duration.ofSeconds(1)))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("huge.wat is")
        .hasMessageContaining("-byte limit of WAT assembly");
  }

  /**
   * 20,000 instructions of text: many seconds of wat2wasm, far more than the 1s budget (no minimum
   * preparation time here; by default a short timeout is raised to 10s).
   */
  @Test
  void slowWatAssemblyEndsInvalidModuleAtTheTasksTimeoutWhileAnotherTaskRuns() throws Exception {
    String text = longFunctionText(20_000);
    PreparedModule good = sandbox.prepare(Corpus.wat("hello"));

    var assembling =
        CompletableFuture.supplyAsync(
            () -> WatAssembler.assemble(text, Duration.ofSeconds(1), Duration.ZERO), callers);
    ResultEnvelope meanwhile = sandbox.run(good, TaskCall.of(List.of()));

    assertThat(meanwhile.success()).as("%s", meanwhile).isTrue();
    assertThat(causeOf(assembling))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessage(
            "preparation exceeded its time budget of 1s (the task's timeout) during WAT assembly");
  }

  @Test
  void aShortTimeoutIsRaisedToTheMinimumPreparationTime() {
    var budget =
        io.capsule.sandbox.internal.PreparationBudget.of(
            Duration.ofSeconds(1),
            SandboxConfig.DEFAULT_MIN_PREPARATION_TIME,
            SandboxConfig.DEFAULT_PREPARATION_TIMEOUT);

    assertThat(budget.limit()).isEqualTo(Duration.ofSeconds(10));
    assertThat(budget.exceeded())
        .hasMessage(
            "preparation exceeded its time budget of 10s (the minimum preparation time; the task's"
                + " timeout is 1s) during start");
  }

  @Test
  void moduleTooSlowToPrepareEndsInvalidModuleAtTheTasksTimeoutWhileAnotherTaskRuns() {
    byte[] slow = longFunctionsModule(60, 1_000);
    PreparedModule good = sandbox.prepare(Corpus.wat("hello"));
    var timeout = TaskOptions.builder().timeout(Duration.ofMillis(100)).build();

    var preparing = CompletableFuture.supplyAsync(() -> sandbox.prepare(slow, timeout), callers);
    ResultEnvelope meanwhile = sandbox.run(good, TaskCall.of(List.of()));

    assertThat(meanwhile.success()).as("%s", meanwhile).isTrue();
    assertThat(causeOf(preparing))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageStartingWith(
            "preparation exceeded its time budget of 100ms (the task's timeout) during ");
    await()
        .atMost(Duration.ofSeconds(GENEROUS_SECONDS))
        .alias("the abandoned preparation stops at its next stage")
        .until(() -> !preparationRunning());
  }

  @Test
  void withoutATaskTimeoutTheSandboxsPreparationTimeoutBounds() {
    byte[] slow = longFunctionsModule(60, 1_001);
    try (var strict =
        Sandbox.create(
            SandboxConfig.builder()
                .withCacheDir(cache)
                .withPreparationTimeout(Duration.ofMillis(50))
                .withMinPreparationTime(Duration.ZERO)
                .build())) {
      assertThatThrownBy(() -> strict.prepare(slow))
          .isInstanceOf(InvalidModuleException.class)
          .hasMessageStartingWith(
              "preparation exceeded its time budget of 50ms (the preparation timeout) during ");
    }
    await().atMost(Duration.ofSeconds(GENEROUS_SECONDS)).until(() -> !preparationRunning());
  }

  @Test
  void aModulePreparedEarlierCostsNothingAgainstTheBudget() {
    byte[] wasm = Corpus.wat("exit_3");
    PreparedModule first = sandbox.prepare(wasm);

    var tight = TaskOptions.builder().timeout(Duration.ofMillis(1)).build();

    assertThat(sandbox.prepare(wasm, tight)).isSameAs(first);
  }

  /**
   * Four slow modules in a row, each with a 100ms timeout, on a sandbox that prepares one module at
   * a time: each ends {@code invalid_module} (the first at its deadline, the others waiting for the
   * slot the abandoned first still holds), never more than one preparation thread is alive, and a
   * good module is prepared and runs once the slot is free.
   */
  @Test
  void abandonedPreparationsKeepTheirSlotSoHostileModulesInARowTakeOneThreadAtMost()
      throws Exception {
    try (var one =
        Sandbox.create(
            SandboxConfig.builder()
                .withCacheDir(cache)
                .withMinPreparationTime(Duration.ZERO)
                .withMaxConcurrentPreparations(1)
                .build())) {
      var pool = one.preparations();
      var most = new java.util.concurrent.atomic.AtomicInteger();
      var sampler = Executors.newSingleThreadScheduledExecutor();
      sampler.scheduleAtFixedRate(
          () -> most.accumulateAndGet(Math.max(pool.running(), pool.threads()), Math::max),
          0,
          1,
          TimeUnit.MILLISECONDS);
      try {
        var timeout = TaskOptions.builder().timeout(Duration.ofMillis(100)).build();
        List<CompletableFuture<PreparedModule>> hostile = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
          byte[] slow = longFunctionsModule(60, 1_100 + i);
          hostile.add(CompletableFuture.supplyAsync(() -> one.prepare(slow, timeout), callers));
        }
        for (var preparing : hostile) {
          assertThat(causeOf(preparing))
              .isInstanceOf(InvalidModuleException.class)
              .hasMessageStartingWith(
                  "preparation exceeded its time budget of 100ms (the task's timeout) during ");
        }
        assertThat(hostile.stream().map(PreparationBudgetTest::causeOf))
            .as("later ones waited for the slot the abandoned first one kept")
            .anySatisfy(
                e -> assertThat(e).hasMessageEndingWith("waiting for one of 1 preparation slots"));
        await()
            .atMost(Duration.ofSeconds(GENEROUS_SECONDS))
            .alias("the abandoned preparations end and give their slot back")
            .until(() -> pool.busy() == 0);
        ResultEnvelope good = one.run(one.prepare(Corpus.wat("hello")), TaskCall.of(List.of()));
        assertThat(good.success()).as("%s", good).isTrue();
      } finally {
        sampler.shutdownNow();
      }
      assertThat(most.get()).as("preparation threads alive at most").isEqualTo(1);
    }
  }

  private static Throwable causeOf(CompletableFuture<?> future) {
    try {
      future.get(GENEROUS_SECONDS, TimeUnit.SECONDS);
      throw new AssertionError("expected the preparation to fail");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError("preparation did not end", e);
    }
  }

  /** Whether a thread is still inside Capsule's preparation or Chicory's compiler. */
  private static boolean preparationRunning() {
    return Thread.getAllStackTraces().values().stream()
        .flatMap(Arrays::stream)
        .anyMatch(
            frame ->
                frame.getClassName().equals(ModulePreparer.class.getName())
                    || frame.getClassName().startsWith("com.dylibso.chicory.compiler"));
  }

  private static String longFunctionText(int instructions) {
    var text = new StringBuilder("(module (func (export \"_start\")\n");
    text.append("  i32.const 1 drop\n".repeat(instructions));
    return text.append("))\n").toString();
  }

  /**
   * A valid task module of {@code functions} functions of {@code instructions} {@code i32.const 1;
   * drop} pairs each, {@code _start} being the first: megabytes of code to parse, instrument and
   * compile.
   */
  private static byte[] longFunctionsModule(int functions, int instructions) {
    var out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    section(out, 1, new byte[] {1, 0x60, 0, 0}); // one type: [] -> []
    var declarations = new ByteArrayOutputStream();
    leb(declarations, functions);
    declarations.writeBytes(new byte[functions]); // every function has type 0
    section(out, 3, declarations.toByteArray());
    byte[] name = "_start".getBytes(StandardCharsets.UTF_8);
    var exports = new ByteArrayOutputStream();
    exports.write(1);
    exports.write(name.length);
    exports.writeBytes(name);
    exports.writeBytes(new byte[] {0, 0}); // function 0
    section(out, 7, exports.toByteArray());
    var body = new ByteArrayOutputStream();
    body.write(0); // no locals
    for (int i = 0; i < instructions; i++) {
      body.writeBytes(new byte[] {0x41, 0x01, 0x1a}); // i32.const 1; drop
    }
    body.write(0x0b);
    var code = new ByteArrayOutputStream();
    leb(code, functions);
    for (int f = 0; f < functions; f++) {
      leb(code, body.size());
      code.writeBytes(body.toByteArray());
    }
    section(out, 10, code.toByteArray());
    return out.toByteArray();
  }

  private static void section(ByteArrayOutputStream out, int id, byte[] content) {
    out.write(id);
    leb(out, content.length);
    out.writeBytes(content);
  }

  private static void leb(ByteArrayOutputStream out, int value) {
    int v = value;
    do {
      int b = v & 0x7f;
      v >>>= 7;
      out.write(v == 0 ? b : b | 0x80);
    } while (v != 0);
  }
}
