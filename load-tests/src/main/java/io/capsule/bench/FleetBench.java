package io.capsule.bench;

import io.capsule.broker.EmbeddedKafka;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The fleet benchmark behind {@code capsule bench fleet}: trivial tasks through real workers
 * against the raw Kafka ceiling ({@link KafkaCeiling}) of the same pipeline, on the same broker in
 * the same run, each measured the same way by {@link LoadDriver}: throughput from a flood of every
 * task at once, latency (submit → reply received) from a closed loop with a few tasks in flight.
 * Optionally a mixed workload (5% long tasks) shows whether short tasks wait behind long ones. The
 * flood also records the CPU time the whole process (broker included) spent per task: on a shared
 * machine that figure moves less than throughput, and {@code cpu_ratio} (ceiling CPU per task /
 * fleet CPU per task) is what the throughput ratio would be if CPU were the only limit. The full
 * form floods each pipeline three times and reports the flood with the median CPU per task (the
 * bare attempt likewise the median of three rounds): on a shared machine one flood can meet a burst
 * of other work. Prints Markdown tables, then {@code cpu_ratio=X}, {@code p50_gap_ms=X}, {@code
 * ratio=X} (fleet throughput / ceiling throughput), {@code overhead_fleet_records=X} (the same
 * against a ceiling that writes the records the contract makes a worker write, {@link
 * KafkaCeiling#withFleetRecords}) and, last, {@code overhead=X}: the fleet's CPU per task over the
 * irreducible cost of a task, the ceiling's CPU per task plus a bare sandbox attempt's ({@link
 * BareAttempt}), both measured in the same run. With worker processes ({@link
 * FleetWorkerProcesses}) it also floods 1, 2, … child-JVM workers in turn: the scale-out shape.
 * Figures only: nothing here asserts a threshold.
 */
public final class FleetBench {
  // Warm-up floods run until the JIT settles: compilation during a flood below this share of its
  // wall time, or the time bound. A fixed 1,000-task warm-up left the JIT compiling the fleet's
  // much larger code path (Kafka clients, Jackson, Chicory) through the measured flood: in one
  // profile 4 s of compilation inside a 6 s flood, charged to the fleet.
  private static final int WARM_UP_TASKS = 2000;
  private static final double JIT_SETTLED = 0.05;
  private static final Duration WARM_UP_LIMIT = Duration.ofSeconds(40);
  private static final int FLOODS = 3;
  // Worker processes' warm-up: until this many floods in a row are not this much cheaper per task
  // than the cheapest before them, or the time bound.
  private static final int PROCESS_SETTLED_FLOODS = 3;
  private static final int PROCESS_FALLING_PERCENT = 5;
  private static final Duration PROCESS_WARM_UP_LIMIT = Duration.ofSeconds(90);

  private final FleetBenchOptions options;
  private final PrintWriter out;
  private final List<String> warmUps = new ArrayList<>();
  private final List<String> floodSpreads = new ArrayList<>();

  /** A benchmark run with {@code options}, reporting to {@code out}. */
  public FleetBench(FleetBenchOptions options, PrintWriter out) {
    this.options = options;
    this.out = out;
  }

  /**
   * Runs the ceiling, then the fleet (and the mixed workload), then the bare sandbox attempt and
   * the worker processes, and prints the report.
   */
  public void run() throws Exception {
    EmbeddedKafka broker =
        options.servers() == null ? EmbeddedKafka.builder().build().start() : null;
    try {
      String servers = broker != null ? broker.bootstrapServers() : options.servers();
      String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8);
      int partitions = Math.max(2, options.workers() * 2);
      Result ceiling;
      try (KafkaCeiling pipeline =
          new KafkaCeiling(servers, prefix, partitions, options.workers())) {
        ceiling = measure(pipeline);
      }
      Result fleet;
      long[] mixed;
      double mixedRate;
      try (FleetPipeline pipeline = new FleetPipeline(servers, prefix, partitions, options)) {
        fleet = measure(pipeline);
        mixedRate = options.mixedRate(fleet.flood().throughput());
        mixed = options.mixed() ? mixed(pipeline, mixedRate) : null;
      }
      // the contract's records, answered at the rate the fleet answered: their batching, so their
      // cost per task, depends on that rate (unpaced they cost less than the ceiling's echo)
      Result records;
      try (KafkaCeiling pipeline =
          KafkaCeiling.withFleetRecords(
              servers, prefix, partitions, options.workers(), fleet.flood().throughput())) {
        records = measure(pipeline);
      }
      // after the fleet's workers have stopped, so nothing else runs beside it
      BareAttempt.Cost attempt = BareAttempt.measure(Math.max(1000, options.tasks() * 2));
      warmUps.add(attempt.warmUp());
      List<ProcessResult> processes = new ArrayList<>();
      for (int count : options.workerProcesses()) {
        processes.add(measureProcesses(servers, prefix + "-p" + count, partitions, count));
      }
      report(ceiling, records, fleet, mixed, mixedRate, attempt, processes);
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
  }

  private record Result(Latencies flood, Latencies latency, Map<String, Double> cpuByThread) {}

  /** A flood through worker processes: its figures and the CPU the workers used per task. */
  private record ProcessResult(int processes, Latencies flood, double workerMicrosPerTask) {}

  private Result measure(Pipeline pipeline) throws Exception {
    warmUp(pipeline);
    List<Result> floods = new ArrayList<>();
    for (int i = 0; i < floods(); i++) {
      ThreadCpu before = ThreadCpu.now();
      Latencies flood = LoadDriver.flood(pipeline, options.tasks());
      Map<String, Double> cpu = ThreadCpu.now().microsPerTaskSince(before, options.tasks());
      floods.add(new Result(flood, null, cpu));
    }
    floods.sort(Comparator.comparingDouble(r -> r.flood().cpuMicrosPerTask()));
    Result median = floods.get(floods.size() / 2);
    floodSpreads.add(spread(pipeline.name(), floods));
    Latencies latency = LoadDriver.closedLoop(pipeline, options.latencyTasks(), options.inFlight());
    return new Result(median.flood(), latency, median.cpuByThread());
  }

  /**
   * How many floods of a pipeline are measured: {@value #FLOODS} in the full form, whose median (by
   * CPU per task) is reported, so that one flood that met a burst of other work on the machine does
   * not decide the figures; one in the quick form.
   */
  private int floods() {
    return options.tasks() >= WARM_UP_TASKS ? FLOODS : 1;
  }

  private static String spread(String name, List<Result> floods) {
    return String.format(
        Locale.ROOT,
        "%s: median of %d floods, CPU µs/task %s",
        name,
        floods.size(),
        floods.stream()
            .map(r -> String.format(Locale.ROOT, "%.0f", r.flood().cpuMicrosPerTask()))
            .collect(Collectors.joining(" ")));
  }

  /**
   * Starts {@code count} worker processes on topics of their own (at least a partition each), warms
   * them up until their CPU per task stops falling ({@link #warmUpProcesses}), then floods them.
   */
  private ProcessResult measureProcesses(String servers, String prefix, int partitions, int count)
      throws Exception {
    try (FleetPipeline pipeline =
        new FleetPipeline(
            servers,
            prefix,
            Math.max(partitions, 2 * count),
            count,
            options.concurrency(),
            options.outputs())) {
      warmUpProcesses(pipeline);
      long workers = pipeline.workerProcessCpuNanos();
      Latencies flood = LoadDriver.flood(pipeline, options.tasks());
      double workerMicros = (pipeline.workerProcessCpuNanos() - workers) / 1e3 / options.tasks();
      return new ProcessResult(count, flood, workerMicros);
    }
  }

  /**
   * Floods of {@value #WARM_UP_TASKS} tasks until the worker processes' CPU per task stops falling:
   * {@value #PROCESS_SETTLED_FLOODS} floods in a row none of which is {@value
   * #PROCESS_FALLING_PERCENT}% below the lowest before it (or {@link #PROCESS_WARM_UP_LIMIT}).
   * Their JIT cannot be watched from here, and a fixed warm-up (two such floods until 2026-12-07)
   * left each of N processes 1/N of it: the more processes, the colder their JIT through the
   * measured flood. The quick form floods once. Prints each flood's figure, so a report whose
   * workers did not settle says so.
   */
  private void warmUpProcesses(FleetPipeline pipeline) throws Exception {
    int size = Math.min(WARM_UP_TASKS, options.tasks());
    long start = System.nanoTime();
    List<Double> perFlood = new ArrayList<>();
    double lowest = Double.MAX_VALUE;
    int notFalling = 0;
    do {
      long cpu = pipeline.workerProcessCpuNanos();
      LoadDriver.flood(pipeline, size);
      double micros = (pipeline.workerProcessCpuNanos() - cpu) / 1e3 / size;
      perFlood.add(micros);
      notFalling = micros < lowest * (1 - PROCESS_FALLING_PERCENT / 100.0) ? 0 : notFalling + 1;
      lowest = Math.min(lowest, micros);
    } while (size == WARM_UP_TASKS // the quick form (a few hundred tasks) warms up once
        && notFalling < PROCESS_SETTLED_FLOODS
        && System.nanoTime() - start < PROCESS_WARM_UP_LIMIT.toNanos());
    warmUps.add(
        String.format(
            Locale.ROOT,
            "%s: warm-up %d tasks in %.1f s (%s), worker processes' CPU µs/task per flood %s",
            pipeline.name(),
            size * perFlood.size(),
            (System.nanoTime() - start) / 1e9,
            size < WARM_UP_TASKS
                ? "the quick form's one flood"
                : notFalling >= PROCESS_SETTLED_FLOODS
                    ? "settled"
                    : "not settled within " + PROCESS_WARM_UP_LIMIT.toSeconds() + " s",
            perFlood.stream()
                .map(m -> String.format(Locale.ROOT, "%.0f", m))
                .collect(Collectors.joining(" "))));
  }

  /**
   * Floods of {@value #WARM_UP_TASKS} tasks (fewer in the quick form) until the JIT compiler spends
   * under 5% of a flood's wall time compiling, or {@link #WARM_UP_LIMIT} has passed; prints what it
   * took, so a report whose JIT did not settle says so.
   */
  private void warmUp(Pipeline pipeline) throws Exception {
    int size = Math.min(WARM_UP_TASKS, options.tasks());
    long start = System.nanoTime();
    int tasks = 0;
    double jitShare;
    do {
      long jit = Latencies.jitMillis();
      Latencies flood = LoadDriver.flood(pipeline, size);
      tasks += size;
      jitShare = (Latencies.jitMillis() - jit) / 1000.0 / flood.seconds();
    } while (size == WARM_UP_TASKS // the quick form (a few hundred tasks) warms up once
        && jitShare > JIT_SETTLED
        && System.nanoTime() - start < WARM_UP_LIMIT.toNanos());
    warmUps.add(
        String.format(
            Locale.ROOT,
            "%s: warm-up %d tasks in %.1f s, JIT compiling %.0f%% of the last warm-up flood",
            pipeline.name(),
            tasks,
            (System.nanoTime() - start) / 1e9,
            jitShare * 100));
  }

  private void report(
      Result ceiling,
      Result records,
      Result fleet,
      long[] mixed,
      double mixedRate,
      BareAttempt.Cost attempt,
      List<ProcessResult> processes) {
    out.printf(
        Locale.ROOT,
        "| pipeline | flood: tasks | tasks/s | CPU µs/task | latency: tasks (%d in flight) | p50 ms"
            + " | p99 ms | p99.9 ms |%n",
        options.inFlight());
    out.println("|---|---|---|---|---|---|---|---|");
    row(ceiling);
    row(records);
    row(fleet);
    if (mixed != null) {
      reportMixed(mixed, mixedRate);
    }
    reportCpu(ceiling, records, fleet, attempt);
    double overhead = reportOverhead(ceiling, fleet, attempt.cpuMicrosPerTask());
    double beyondRecords = reportBeyondRecords(records, fleet, attempt.cpuMicrosPerTask());
    if (!processes.isEmpty()) {
      reportProcesses(processes);
    }
    out.println();
    warmUps.forEach(out::println);
    floodSpreads.forEach(out::println);
    out.println();
    double gap = fleet.latency().percentileMs(0.5) - ceiling.latency().percentileMs(0.5);
    out.printf(
        Locale.ROOT,
        "cpu_ratio=%.3f%n",
        ceiling.flood().cpuMicrosPerTask() / fleet.flood().cpuMicrosPerTask());
    out.printf(Locale.ROOT, "p50_gap_ms=%.2f%n", gap);
    out.printf(
        Locale.ROOT, "ratio=%.3f%n", fleet.flood().throughput() / ceiling.flood().throughput());
    out.printf(Locale.ROOT, "overhead_fleet_records=%.2f%n", beyondRecords);
    out.printf(Locale.ROOT, "overhead=%.2f%n", overhead);
    out.flush();
  }

  /**
   * The irreducible cost of a task (the raw Kafka round trip plus a bare sandbox attempt, both
   * measured in this run) against what the fleet spent; returns the fleet's multiple of it.
   */
  private double reportOverhead(Result ceiling, Result fleet, double attempt) {
    double floor = ceiling.flood().cpuMicrosPerTask() + attempt;
    double overhead = fleet.flood().cpuMicrosPerTask() / floor;
    out.printf("%n| irreducible cost vs the fleet, process CPU µs/task | µs |%n");
    out.println("|---|---|");
    out.printf(
        Locale.ROOT,
        "| raw Kafka round trip (ceiling flood) | %.1f |%n",
        ceiling.flood().cpuMicrosPerTask());
    out.printf(
        Locale.ROOT,
        "| bare sandbox attempt (Sandbox.attempt: fresh instance + run, in-process) | %.1f |%n",
        attempt);
    out.printf(Locale.ROOT, "| irreducible total | %.1f |%n", floor);
    out.printf(Locale.ROOT, "| fleet (flood) | %.1f |%n", fleet.flood().cpuMicrosPerTask());
    out.printf(Locale.ROOT, "| overhead (fleet ÷ irreducible) | %.2f× |%n", overhead);
    return overhead;
  }

  /**
   * The same against a floor whose Kafka part writes and reads the records the contract makes a
   * worker write for a trivial task ({@link KafkaCeiling#withFleetRecords}): what the product adds
   * beyond its own contract's records. Returns the fleet's multiple of that floor.
   */
  private double reportBeyondRecords(Result records, Result fleet, double attempt) {
    double floor = records.flood().cpuMicrosPerTask() + attempt;
    double overhead = fleet.flood().cpuMicrosPerTask() / floor;
    out.printf(
        Locale.ROOT,
        "| raw Kafka round trip writing the fleet's records (terminal event + envelope),"
            + " answered at the fleet's rate | %.1f |%n",
        records.flood().cpuMicrosPerTask());
    out.printf(Locale.ROOT, "| the same plus the bare sandbox attempt | %.1f |%n", floor);
    out.printf(
        Locale.ROOT,
        "| overhead beyond the contract's records (fleet ÷ that) | %.2f× |%n",
        overhead);
    return overhead;
  }

  /** Throughput and CPU per task through 1, 2, … worker processes. */
  private void reportProcesses(List<ProcessResult> processes) {
    out.printf(
        "%n| worker processes (× %d threads) | flood: tasks | tasks/s | CPU µs/task, all |"
            + " of which worker processes | of which bench JVM (broker + client) |%n",
        options.concurrency());
    out.println("|---|---|---|---|---|---|");
    for (ProcessResult r : processes) {
      double local = r.flood().cpuMicrosPerTask();
      out.printf(
          Locale.ROOT,
          "| %d | %d | %.0f | %.0f | %.0f | %.0f |%n",
          r.processes(),
          r.flood().count(),
          r.flood().throughput(),
          local + r.workerMicrosPerTask(),
          r.workerMicrosPerTask(),
          local);
    }
  }

  /**
   * Where each flood's CPU went, and the bare attempts', per thread group (see {@link ThreadCpu}).
   */
  private void reportCpu(Result ceiling, Result records, Result fleet, BareAttempt.Cost attempt) {
    out.printf(
        Locale.ROOT,
        "%n| flood CPU by thread group, µs/task | %s | %s | %s | bare sandbox attempt |%n",
        ceiling.flood().name(),
        records.flood().name(),
        fleet.flood().name());
    out.println("|---|---|---|---|---|");
    Set<String> groups = new LinkedHashSet<>(fleet.cpuByThread().keySet());
    groups.addAll(ceiling.cpuByThread().keySet());
    groups.addAll(records.cpuByThread().keySet());
    groups.addAll(attempt.cpuByThread().keySet());
    for (String group : groups) {
      out.printf(
          Locale.ROOT,
          "| %s | %s | %s | %s | %s |%n",
          group,
          micros(ceiling.cpuByThread().get(group)),
          micros(records.cpuByThread().get(group)),
          micros(fleet.cpuByThread().get(group)),
          micros(attempt.cpuByThread().get(group)));
    }
  }

  private static String micros(Double value) {
    return value == null ? "" : String.format(Locale.ROOT, "%.1f", value);
  }

  private void row(Result r) {
    out.printf(
        Locale.ROOT,
        "| %s | %d | %.0f | %.0f | %d | %.2f | %.2f | %.2f |%n",
        r.flood().name(),
        r.flood().count(),
        r.flood().throughput(),
        r.flood().cpuMicrosPerTask(),
        r.latency().count(),
        r.latency().percentileMs(0.5),
        r.latency().percentileMs(0.99),
        r.latency().percentileMs(0.999));
  }

  /**
   * Every 20th task sleeps for the long duration (holding a task slot, not a core); the rest are
   * trivial. Tasks arrive at a fixed rate ({@link FleetBenchOptions#mixedRate}) at which short
   * tasks always find a free slot and spare throughput, so a short task that waits near the long
   * duration waits behind a long one: head-of-line blocking, not lack of capacity.
   */
  private long[] mixed(FleetPipeline fleet, double rate) throws Exception {
    byte[] sleeper = BenchModules.sleeper(options.longTask());
    Duration timeout = options.longTask().multipliedBy(4).plusSeconds(30);
    return LoadDriver.openLoop(
        options.mixedTasks(),
        rate,
        i -> isLong(i) ? fleet.submit(sleeper, timeout) : fleet.submit());
  }

  private static boolean isLong(int index) {
    return index % 20 == 10;
  }

  private void reportMixed(long[] all, double rate) {
    long[] shorts =
        IntStream.range(0, all.length).filter(i -> !isLong(i)).mapToLong(i -> all[i]).toArray();
    long[] longs =
        IntStream.range(0, all.length).filter(FleetBench::isLong).mapToLong(i -> all[i]).toArray();
    out.printf(
        Locale.ROOT,
        "%n| mixed workload: %d tasks at %.0f/s, every 20th sleeps %d ms | tasks | p50 ms | p99 ms"
            + " | max ms |%n",
        all.length,
        rate,
        options.longTask().toMillis());
    out.println("|---|---|---|---|---|");
    mixedRow("short (trivial) tasks", shorts);
    mixedRow("long (sleeping) tasks", longs);
    out.printf(
        Locale.ROOT,
        "%nmixed_short_p99_ms=%.2f%nmixed_long_ms=%d%n",
        Latencies.percentile(shorts, 0.99) / 1e6,
        options.longTask().toMillis());
  }

  private void mixedRow(String what, long[] nanos) {
    out.printf(
        Locale.ROOT,
        "| %s | %d | %.2f | %.2f | %.2f |%n",
        what,
        nanos.length,
        Latencies.percentile(nanos, 0.5) / 1e6,
        Latencies.percentile(nanos, 0.99) / 1e6,
        Latencies.percentile(nanos, 1.0) / 1e6);
  }
}
