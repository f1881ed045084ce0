package io.capsule.bench;

import io.capsule.broker.EmbeddedKafka;
import io.capsule.dispatcher.CapsuleClient;
import io.capsule.dispatcher.FleetConnection;
import io.capsule.dispatcher.TaskHandle;
import io.capsule.dispatcher.TopicAdmin;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.WatAssembler;
import io.capsule.worker.CapsuleWorker;
import io.capsule.worker.WorkerConfig;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The fleet benchmark behind {@code capsule bench fleet}: end-to-end throughput and latency of
 * trivial tasks (submit → envelope received) through real workers, and — on the same broker, in the
 * same run — the raw Kafka ceiling of the same request → consume → produce reply → consume pipeline
 * with a no-op in place of the sandbox ({@link KafkaCeiling}). Prints both, then {@code ratio=X}
 * (fleet throughput / ceiling throughput) last. Figures only.
 */
public final class FleetBench {
  private static final String TRIVIAL_WAT =
      "(module (import \"wasi_snapshot_preview1\" \"fd_write\""
          + " (func $w (param i32 i32 i32 i32) (result i32)))"
          + " (memory (export \"memory\") 1) (data (i32.const 16) \"{}\")"
          + " (func (export \"_start\") (i32.store (i32.const 0) (i32.const 16))"
          + " (i32.store (i32.const 4) (i32.const 2))"
          + " (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))";

  private final int workers;
  private final int concurrency;
  private final int tasks;
  private final String servers;
  private final PrintStream out;

  /**
   * A benchmark run.
   *
   * @param workers in-process workers
   * @param concurrency task threads per worker
   * @param tasks tasks per pipeline
   * @param servers an existing cluster, or {@code null} for an embedded broker
   * @param out where the report goes
   */
  public FleetBench(int workers, int concurrency, int tasks, String servers, PrintStream out) {
    this.workers = workers;
    this.concurrency = concurrency;
    this.tasks = tasks;
    this.servers = servers;
    this.out = out;
  }

  /** Runs the ceiling, then the fleet, and prints the report. */
  public void run() throws Exception {
    EmbeddedKafka broker = servers == null ? EmbeddedKafka.builder().build().start() : null;
    try {
      String bootstrap = broker != null ? broker.bootstrapServers() : servers;
      String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8);
      int partitions = Math.max(2, workers * 2);
      Latencies ceiling = new KafkaCeiling(bootstrap, prefix, partitions, workers).run(tasks);
      Latencies fleet = fleet(bootstrap, prefix, partitions);
      report(ceiling, fleet);
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
  }

  private Latencies fleet(String bootstrap, String prefix, int partitions) throws Exception {
    FleetConnection connection = FleetConnection.of(bootstrap).withTopicPrefix(prefix);
    try (TopicAdmin admin = TopicAdmin.connect(connection)) {
      admin.create(partitions, Optional.empty());
    }
    List<CapsuleWorker> pool = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      pool.add(CapsuleWorker.create(workerConfig(bootstrap, prefix, i, concurrency)).start());
    }
    try (CapsuleClient client = CapsuleClient.builder().connection(connection).build()) {
      byte[] module = WatAssembler.assemble(TRIVIAL_WAT);
      TaskOptions low = TaskOptions.builder().compute(Compute.of(ComputeLevel.LOW)).build();
      warmUp(client, module, low);
      return measure(client, module, low);
    } finally {
      pool.forEach(CapsuleWorker::shutdown);
      for (CapsuleWorker w : pool) {
        w.awaitTermination(Duration.ofSeconds(30));
      }
    }
  }

  private static WorkerConfig workerConfig(
      String bootstrap, String prefix, int index, int concurrency) {
    return WorkerConfig.builder()
        .withBootstrapServers(bootstrap)
        .withTopicPrefix(prefix)
        .withLevels(Set.of(ComputeLevel.LOW))
        .withConcurrency(concurrency)
        .withWorkerId("bench-" + index)
        .withCreateTopics(false)
        .build();
  }

  private void warmUp(CapsuleClient client, byte[] module, TaskOptions low) throws Exception {
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (int i = 0; i < Math.min(200, tasks); i++) {
      all.add(client.submit(module, List.of(), low).result());
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);
  }

  private Latencies measure(CapsuleClient client, byte[] module, TaskOptions low) throws Exception {
    long[] latencies = new long[tasks];
    List<CompletableFuture<?>> all = new ArrayList<>(tasks);
    long start = System.nanoTime();
    for (int i = 0; i < tasks; i++) {
      int index = i;
      long sent = System.nanoTime();
      TaskHandle handle = client.submit(module, List.of(), low);
      all.add(handle.result().thenRun(() -> latencies[index] = System.nanoTime() - sent));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
    double seconds = (System.nanoTime() - start) / 1e9;
    String name = "fleet (sandbox, " + workers + " workers × " + concurrency + " threads)";
    return new Latencies(name, tasks, seconds, latencies);
  }

  private void report(Latencies ceiling, Latencies fleet) {
    out.println("| pipeline | tasks | tasks/s | p50 ms | p99 ms | p99.9 ms |");
    out.println("|---|---|---|---|---|---|");
    out.println(ceiling.row());
    out.println(fleet.row());
    out.printf(
        Locale.ROOT, "p50_gap_ms=%.2f%n", fleet.percentileMs(0.5) - ceiling.percentileMs(0.5));
    out.printf(Locale.ROOT, "ratio=%.3f%n", fleet.throughput() / ceiling.throughput());
    out.flush();
  }
}
