package io.capsule.bench;

import io.capsule.dispatcher.CapsuleClient;
import io.capsule.dispatcher.FleetConnection;
import io.capsule.dispatcher.TopicAdmin;
import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.TaskOptions;
import io.capsule.worker.CapsuleWorker;
import io.capsule.worker.ConsumptionMode;
import io.capsule.worker.WorkerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The product's own path: tasks submitted with {@link CapsuleClient}, run on the LOW level by
 * in-process {@link CapsuleWorker}s or by worker processes ({@link FleetWorkerProcesses}), the
 * envelope read back by the client.
 */
final class FleetPipeline implements Pipeline {
  // Small enough that the workers' memory budget never limits how many run at once.
  private static final ByteSize TASK_RAM = ByteSize.parse("16MB");

  /** A trivial task's timeout. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final String name;
  private final List<CapsuleWorker> workers = new ArrayList<>();
  private final FleetWorkerProcesses processes;
  private final CapsuleClient client;
  private final byte[] trivial = BenchModules.trivial();

  /**
   * Creates the topics, starts {@code workers} workers of {@code concurrency} task threads each,
   * and connects a client.
   */
  FleetPipeline(String servers, String prefix, int partitions, FleetBenchOptions options) {
    int workerCount = options.workers();
    this.name =
        String.format(
            "fleet (%d workers × %d threads%s)",
            workerCount, options.concurrency(), options.shareGroups() ? ", share groups" : "");
    FleetConnection connection = createTopics(servers, prefix, partitions);
    for (int i = 0; i < workerCount; i++) {
      workers.add(CapsuleWorker.create(config(servers, prefix, i, options)).start());
    }
    this.processes = null;
    this.client = CapsuleClient.builder().connection(connection).build();
  }

  /**
   * Creates the topics, starts {@code count} worker processes of {@code concurrency} task threads
   * each (classic group) writing their outputs as {@code outputs} says, and connects a client.
   */
  FleetPipeline(
      String servers,
      String prefix,
      int partitions,
      int count,
      int concurrency,
      io.capsule.worker.OutputMode outputs)
      throws IOException {
    this.name = String.format("fleet (%d worker processes × %d threads)", count, concurrency);
    FleetConnection connection = createTopics(servers, prefix, partitions);
    this.processes = new FleetWorkerProcesses(servers, prefix, count, concurrency, outputs);
    this.client = CapsuleClient.builder().connection(connection).build();
  }

  private static FleetConnection createTopics(String servers, String prefix, int partitions) {
    FleetConnection connection = FleetConnection.of(servers).withTopicPrefix(prefix);
    try (TopicAdmin admin = TopicAdmin.connect(connection)) {
      admin.create(partitions, Optional.empty());
    }
    return connection;
  }

  /** CPU time the worker processes have used so far, in nanoseconds (0 for in-process workers). */
  long workerProcessCpuNanos() {
    return processes == null ? 0 : processes.cpuNanos();
  }

  private static WorkerConfig config(
      String servers, String prefix, int index, FleetBenchOptions options) {
    return WorkerConfig.builder()
        .withBootstrapServers(servers)
        .withTopicPrefix(prefix)
        .withLevels(Set.of(ComputeLevel.LOW))
        .withConcurrency(options.concurrency())
        .withMode(options.shareGroups() ? ConsumptionMode.SHARE : ConsumptionMode.CLASSIC)
        .withOutputs(options.outputs())
        .withWorkerId("bench-" + index)
        .withCreateTopics(false)
        .build();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CompletableFuture<?> submit() {
    return submit(trivial, TIMEOUT);
  }

  /** Submits {@code module} as a LOW task with a small ram cap and the given timeout. */
  CompletableFuture<?> submit(byte[] module, Duration timeout) {
    return client
        .submit(module, List.of(), taskOptions(timeout))
        .result()
        .thenAccept(FleetPipeline::check);
  }

  /** A benchmark task's options: LOW, a small ram cap, {@code timeout}. */
  static TaskOptions taskOptions(Duration timeout) {
    return TaskOptions.builder()
        .compute(Compute.of(ComputeLevel.LOW))
        .ram(TASK_RAM)
        .timeout(timeout)
        .build();
  }

  private static void check(io.capsule.protocol.ResultEnvelope envelope) {
    if (!envelope.success()) {
      throw new IllegalStateException("a benchmark task failed: " + envelope.error());
    }
  }

  @Override
  public void close() {
    try {
      client.close();
    } finally {
      workers.forEach(CapsuleWorker::shutdown);
      awaitWorkers();
      if (processes != null) {
        processes.close();
      }
    }
  }

  private void awaitWorkers() {
    try {
      for (CapsuleWorker worker : workers) {
        worker.awaitTermination(Duration.ofSeconds(30));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
