package io.capsule.cli;

import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.Durations;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.PreparedModule;
import io.capsule.sandbox.TaskCall;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Task lines on stderr: with {@code --verbose}, one per step as it happens; without, only a failure
 * line (unless {@code --json}, where the envelope says it all).
 */
final class ProgressLines {
  private final boolean verbose;
  private final PrintWriter err;

  ProgressLines(boolean verbose, PrintWriter err) {
    this.verbose = verbose;
    this.err = err;
  }

  void starting(Path file, TaskCall call) {
    var o = call.options();
    line(
        "▶ %s %s (compute=%s ram=%s timeout=%s max_retries=%d)",
        call.taskName(),
        file,
        o.computeOrDefault(),
        o.ram() == null ? "default" : o.ram(),
        o.timeout() == null ? "none" : Durations.format(o.timeout()),
        o.maxRetriesOrDefault());
  }

  /**
   * The operator's grant and, for each task of the file whose declared options it narrows, what the
   * task asked for and what it gets.
   */
  void granted(OperatorCeiling ceiling, Map<String, TaskOptions> asked, Path filesRoot) {
    if (!verbose) {
      return;
    }
    String grant = OperatorGrant.describe(ceiling);
    if (grant.isEmpty()) {
      line("  grant: none given, tasks get the options they declare");
      return;
    }
    line("  grant:%s", grant);
    asked.forEach(
        (task, options) -> line("  %s asked for%s", task, narrowing(ceiling, options, filesRoot)));
  }

  private static String narrowing(OperatorCeiling ceiling, TaskOptions asked, Path filesRoot) {
    try {
      String difference = OperatorCeiling.narrowing(asked, ceiling.narrow(asked, filesRoot));
      return difference.isEmpty() ? " nothing beyond the grant" : ":" + difference;
    } catch (CapsuleException e) {
      return " more than the grant, refused: " + e.getMessage();
    }
  }

  void prepared(PreparedModule module, long nanos) {
    line(
        "  module %s… %d bytes, %s, ready in %d ms",
        module.sha256().substring(0, 12),
        module.size(),
        !module.compiled() ? "interpreted" : module.fromCache() ? "compiled (cached)" : "compiled",
        nanos / 1_000_000);
  }

  void attemptFinished(int attempt, ResultEnvelope envelope, Duration retryIn) {
    if (retryIn == null) {
      return;
    }
    line(
        "  attempt %d failed: %s: %s; retrying in %d ms",
        attempt,
        envelope.error().errorType().wireName(),
        envelope.error().message(),
        retryIn.toMillis());
  }

  void finished(ResultEnvelope envelope, boolean json) {
    var x = envelope.execution();
    if (envelope.success()) {
      line(
          "✓ %s succeeded in %d ms (fuel %,d, ram %,d bytes, retries %d)",
          x.taskName(), x.durationMs(), x.fuelConsumed(), x.ramUsed(), x.retries());
    } else if (verbose || !json) {
      err.printf(
          "✗ %s failed: %s: %s%n",
          x.taskName(), envelope.error().errorType().wireName(), envelope.error().message());
      err.flush();
    }
  }

  private void line(String format, Object... args) {
    if (verbose) {
      err.printf(format + "%n", args);
      err.flush();
    }
  }
}
