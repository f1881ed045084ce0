package io.capsule.cli;

import io.capsule.dispatcher.DeadLetterReplayer;
import io.capsule.dispatcher.DeadLetterReplayer.Entry;
import io.capsule.dispatcher.DeadLetterReplayer.Filter;
import io.capsule.dispatcher.DeadLetterReplayer.Outcome;
import io.capsule.dispatcher.DeadLetterReplayer.Report;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.Durations;
import io.capsule.protocol.ErrorType;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code capsule replay [--error-type T] [--since TIME] [--dry-run]}. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Put dead-lettered tasks back on their level topics as first attempts, each dead letter once.",
      "Prints one line per matching dead letter: OUTCOME TASK_ID LEVEL ERROR_TYPE SOURCE."
    })
final class ReplayCommand implements Callable<Integer> {
  @Option(
      names = "--error-type",
      paramLabel = "TYPE",
      description = "Only dead letters whose last error has this type (e.g. timeout).")
  String errorType;

  @Option(
      names = "--since",
      paramLabel = "TIME",
      description =
          "Only dead letters from this time on: an ISO instant (2026-11-26T10:00:00Z) "
              + "or a duration back from now (30m, 2h).")
  String since;

  @Option(names = "--dry-run", description = "List what would be replayed; publish nothing.")
  boolean dryRun;

  @Mixin KafkaFlags kafka = new KafkaFlags.Cluster();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Filter filter = new Filter(errorType(), since());
    Report report;
    ProgressBar bar = ProgressBar.onStderr(spec.commandLine().getErr(), "replaying", 0);
    try (var replayer = DeadLetterReplayer.connect(kafka.connection(), Duration.ofSeconds(60))) {
      report =
          replayer.replay(
              filter,
              dryRun,
              (done, total) -> {
                if (!dryRun) {
                  bar.total(total);
                  bar.update(done);
                }
              });
    }
    if (!dryRun) {
      bar.finish();
    }
    PrintWriter out = spec.commandLine().getOut();
    report.entries().forEach(e -> out.println(line(e)));
    out.flush();
    spec.commandLine()
        .getErr()
        .printf(
            "capsule: %d %s, %d already replayed, %d not replayable, %d with their request left"
                + " out (too large; read it at the letter's source)%n",
            report.count(dryRun ? Outcome.WOULD_REPLAY : Outcome.REPLAYED),
            dryRun ? "would be replayed" : "replayed",
            report.count(Outcome.ALREADY_REPLAYED),
            report.count(Outcome.NOT_REPLAYABLE),
            report.count(Outcome.REQUEST_OMITTED));
    return 0;
  }

  private static String line(Entry e) {
    return String.join(
        " ",
        e.outcome().name().toLowerCase(Locale.ROOT),
        String.valueOf(e.taskId()),
        e.level() == null ? "-" : e.level().topicSuffix(),
        e.errorType().wireName(),
        e.source());
  }

  private ErrorType errorType() {
    try {
      return errorType == null ? null : ErrorType.fromWire(errorType);
    } catch (CapsuleException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private Instant since() {
    if (since == null) {
      return null;
    }
    try {
      return Instant.parse(since);
    } catch (DateTimeParseException notAnInstant) {
      try {
        return Instant.now().minus(Durations.parse(since));
      } catch (CapsuleException e) {
        throw new UsageException(
            "--since needs an ISO instant or a duration such as 2h, not '" + since + "'");
      }
    }
  }
}
