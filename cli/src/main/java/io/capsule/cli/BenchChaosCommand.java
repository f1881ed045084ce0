package io.capsule.cli;

import io.capsule.bench.ChaosBench;
import io.capsule.bench.ChaosOptions;
import io.capsule.worker.OutputMode;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code capsule bench chaos}: the fleet under faults, every task checked (see {@link ChaosBench}).
 */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = {
      "A steady mixed stream of tasks through 'capsule worker' processes on a 3-broker cluster",
      "(separate processes, 3 replicas, min.insync.replicas=2) while faults run: kill -9 of a",
      "worker, of a task partition's leader broker and of the group coordinator's broker (each",
      "restarted), SIGSTOP of a worker past its session timeout then SIGCONT, a stall then cut of",
      "one worker's connections through a TCP proxy. Then every topic is read and every task",
      "checked. Prints each fault's recovery, throughput before/during/after, tasks= lost=",
      "duplicate_finals= wrong_results=, and last 'lost=N duplicate_finals=N'. Exits 1 unless",
      "lost=0."
    })
final class BenchChaosCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--quick",
      description =
          "600 tasks or more at 4/s (the stream runs until the faults are over, plus 20 s), one fault of each kind (about 5 minutes; for CI).")
  boolean quick;

  @Option(
      names = "--tasks",
      paramLabel = "N",
      description = "Tasks in the stream (default 20000; 600 with --quick).")
  Integer tasks;

  @Option(
      names = "--rate",
      paramLabel = "R",
      description = "Tasks submitted per second (default 25; 4 with --quick).")
  Double rate;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      converter = TaskOptionFlags.DurationConverter.class,
      description = "Stream for this long (sets --tasks to rate × duration).")
  Duration duration;

  @Option(names = "--workers", paramLabel = "W", description = "Worker processes (default 3).")
  Integer workers;

  @Option(
      names = "--worker-kafka-property",
      paramLabel = "KEY=VALUE",
      description =
          "A Kafka client property for every worker (repeatable; default"
              + " session.timeout.ms=6000).")
  List<String> workerKafkaProperties = List.of();

  @Option(
      names = "--outputs",
      paramLabel = "MODE",
      description = "The workers' --outputs: idempotent (default) or transactional.")
  String outputs;

  @Option(
      names = "--logs",
      paramLabel = "DIR",
      description = "Where the workers' logs go (default: a new temp directory, printed).")
  Path logs;

  @Option(
      names = "--write",
      paramLabel = "FILE",
      description = "Also write the report into FILE's chaos section (e.g. BENCHMARKS.md).")
  Path write;

  @Override
  public Integer call() throws Exception {
    ChaosOptions options = options();
    var report = new StringWriter();
    ChaosBench.Result result = new ChaosBench(options, BenchCommand.tee(spec, report)).run();
    if (write != null) {
      BenchmarksFile.writeSection(write, "chaos", commandLine(), report.toString());
    }
    return result.lost() == 0 ? 0 : Main.TASK_FAILED;
  }

  private ChaosOptions options() {
    List<String> command = workerCommand();
    if (outputs != null) {
      command.addAll(
          List.of("--outputs", OutputMode.parse(outputs).name().toLowerCase(Locale.ROOT)));
    }
    ChaosOptions options = ChaosOptions.defaults(quick, command);
    if (rate != null) {
      options = options.withRate(rate);
    }
    if (tasks != null) {
      options = options.withTasks(tasks);
    }
    if (duration != null) {
      options = options.withDuration(duration);
    }
    if (workers != null) {
      options = options.withWorkers(workers);
    }
    if (logs != null) {
      options = options.withLogDir(logs);
    }
    for (String property : workerKafkaProperties) {
      int eq = property.indexOf('=');
      if (eq < 1) {
        throw new UsageException("--worker-kafka-property needs KEY=VALUE, not '" + property + "'");
      }
      options =
          options.withWorkerKafkaProperty(property.substring(0, eq), property.substring(eq + 1));
    }
    return options;
  }

  /** {@code java … io.capsule.cli.Main worker}: this JVM's class path, a worker's heap. */
  static List<String> workerCommand() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-Xmx384m", "-XX:+UseSerialGC", "-Xss8m"));
    String cacheDir = System.getProperty("capsule.cache.dir");
    if (cacheDir != null) {
      command.add("-Dcapsule.cache.dir=" + cacheDir);
    }
    command.addAll(
        List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "worker"));
    return command;
  }

  private String commandLine() {
    StringBuilder line = new StringBuilder("./capsule bench chaos");
    if (quick) {
      line.append(" --quick");
    }
    append(line, "--tasks", tasks);
    append(line, "--rate", rate);
    append(line, "--duration", duration);
    append(line, "--workers", workers);
    workerKafkaProperties.forEach(p -> line.append(" --worker-kafka-property ").append(p));
    append(line, "--outputs", outputs);
    return line.toString();
  }

  private static void append(StringBuilder line, String flag, Object value) {
    if (value != null) {
      line.append(' ').append(flag).append(' ').append(value);
    }
  }
}
