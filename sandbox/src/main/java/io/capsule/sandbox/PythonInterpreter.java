package io.capsule.sandbox;

import com.fasterxml.jackson.databind.node.IntNode;
import io.capsule.protocol.InternalException;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.internal.lang.InterpreterArtifact;
import io.capsule.sandbox.internal.lang.PreparationSteps;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Python tasks run on CPython, resumed from a pre-initialised snapshot when the sandbox compiles
 * and has a cache directory (made and smoke-tested on first use, see {@link PythonSnapshots}), else
 * started cold.
 */
final class PythonInterpreter implements ScriptInterpreter {
  private static final InterpreterArtifact CPYTHON = InterpreterArtifact.CPYTHON;

  private final Interpreters interpreters;
  private final PythonSnapshots snapshots;
  private final BiFunction<PreparedModule, TaskCall, ResultEnvelope> attempt;
  private Boolean smokeTestPassed; // null: not run yet

  /**
   * @param snapshots where snapshots are made, or {@code null}: tasks start cold
   * @param attempt runs one attempt (the smoke test's)
   */
  PythonInterpreter(
      Interpreters interpreters,
      PythonSnapshots snapshots,
      BiFunction<PreparedModule, TaskCall, ResultEnvelope> attempt) {
    this.interpreters = interpreters;
    this.snapshots = snapshots;
    this.attempt = attempt;
  }

  @Override
  public PreparedModule prepare(GuestScript script) {
    if (snapshots != null) {
      return bind(interpreters.bytes(CPYTHON), script);
    }
    return interpreters.module(CPYTHON).withScript(script);
  }

  /** A script resumes from the interpreter's snapshot when there is one, else starts cold. */
  @Override
  public PreparedModule bind(byte[] wasm, GuestScript script) {
    PythonSnapshots.Resume resume = resume(wasm);
    if (resume != null) {
      return resume.module().withScript(script, resume);
    }
    return interpreters.prepare(wasm).withScript(script);
  }

  @Override
  public boolean prepareAhead() {
    boolean fetched = !interpreters.isCached(CPYTHON);
    PythonSnapshots.Resume resume = resume(interpreters.bytes(CPYTHON));
    if (resume == null) {
      throw new InternalException("no Python snapshot: " + snapshots.failure());
    }
    return fetched || resume.fresh() || !resume.module().fromCache();
  }

  @Override
  public boolean isReady() {
    return interpreters.isCached(CPYTHON)
        && (snapshots == null || snapshots.isMade(interpreters.bytes(CPYTHON)));
  }

  /**
   * The snapshot Python tasks resume from: made and checked on first use, or {@code null} when
   * there is none (no snapshots here, or making or checking it failed).
   */
  private PythonSnapshots.Resume resume(byte[] wasm) {
    if (snapshots == null) {
      return null;
    }
    PythonSnapshots.Resume resume = snapshots.resume(wasm);
    return resume != null && resume.fresh() && !passesSmokeTest(resume) ? null : resume;
  }

  /**
   * Whether a snapshot made in this process passed its smoke test, run once (a failed one is
   * rejected, on disk too, and tasks start cold).
   */
  private synchronized boolean passesSmokeTest(PythonSnapshots.Resume resume) {
    if (smokeTestPassed == null) {
      String why =
          new PreparationSteps(System.err)
              .run("smoke test: one task resumed from the snapshot", () -> smokeTest(resume));
      smokeTestPassed = why == null;
      if (why != null) {
        snapshots.reject(resume, why);
      }
    }
    return smokeTestPassed;
  }

  /** Runs one task resumed from a snapshot made in this process; why it failed, or null. */
  private String smokeTest(PythonSnapshots.Resume resume) {
    String source =
        "from capsule import task\n\n@task(name=\"main\")\ndef main(a, b):\n"
            + "    return {\"sum\": a + b}\n";
    GuestScript script = GuestScript.of("capsule_smoke.py", source);
    ResultEnvelope envelope =
        attempt.apply(
            resume.module().withScript(script, resume),
            new TaskCall(
                script.optionsOf("main"), List.of(IntNode.valueOf(40), IntNode.valueOf(2))));
    if (envelope.success() && envelope.result().path("sum").asInt() == 42) {
      return null;
    }
    return envelope.success() ? "wrong result " + envelope.result() : envelope.error().message();
  }
}
