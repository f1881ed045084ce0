package io.capsule.bench;

import io.capsule.broker.KafkaCluster;
import io.capsule.dispatcher.FleetConnection;
import io.capsule.dispatcher.TopicAdmin;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.TopicReplication;
import io.capsule.protocol.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code capsule bench chaos}: a steady mixed stream of tasks through {@code capsule worker}
 * processes on a three-broker cluster (separate processes, topics replicated three times, two in
 * sync) while faults run — {@code kill -9} of a worker (restarted), of the leader of a task
 * partition and of the group coordinator's broker (restarted), {@code SIGSTOP} of a worker past its
 * session timeout then {@code SIGCONT}, a stall then cut of one worker's connections through a TCP
 * proxy — then every topic is read and every task checked ({@link ChaosAudit}). Prints the faults
 * with their recovery, throughput before/during/after, and {@code tasks= lost= duplicate_finals=
 * wrong_results=}; the last line is {@code lost=0 duplicate_finals=0} when that holds.
 */
public final class ChaosBench {
  private static final int PARTITIONS = 6;
  private static final Duration DRAIN = Duration.ofMinutes(5);
  private static final Duration SETTLE = Duration.ofSeconds(10);
  private static final Duration TAIL = Duration.ofSeconds(20);
  private static final Duration QUICK_TAIL = Duration.ofSeconds(10);

  private final ChaosOptions options;
  private final PrintWriter out;
  private final Topics topics = new Topics("chaos-" + UUID.randomUUID().toString().substring(0, 8));

  /** A run with these options, reporting to {@code out}. */
  public ChaosBench(ChaosOptions options, PrintWriter out) {
    this.options = options;
    this.out = out;
  }

  /**
   * What the run found.
   *
   * @param tasks tasks submitted
   * @param lost tasks with no envelope (poison records with no dead letter)
   * @param duplicateFinals envelopes beyond one per task
   * @param wrongResults envelopes not matching the task's expected outcome
   * @param staleStates tasks whose last event is not final although they have an envelope
   */
  public record Result(
      int tasks, int lost, int duplicateFinals, int wrongResults, int staleStates) {}

  /** Runs the stream and the faults, checks every task and prints the report. */
  public Result run() throws Exception {
    Path logs =
        options.logDir() == null
            ? Files.createTempDirectory("capsule-chaos-")
            : Files.createDirectories(options.logDir());
    line("logs=%s", logs);
    try (KafkaCluster cluster = startCluster();
        Proxies proxies = Proxies.of(cluster)) {
      createTopics(cluster.bootstrapServers());
      try (WorkerProcesses workers = startWorkers(cluster, logs);
          ChaosLoad load = new ChaosLoad(cluster.bootstrapServers(), topics, topics.prefix())) {
        ChaosFaults faults =
            new ChaosFaults(cluster, workers, proxies, topics, options, this::line);
        long start = System.currentTimeMillis();
        AtomicBoolean faulting = new AtomicBoolean(true);
        Thread stream = streamThread(load, faulting);
        List<ChaosFault> injected = faults.runSchedule(load);
        TimeUnit.MILLISECONDS.sleep((options.quick() ? QUICK_TAIL : TAIL).toMillis());
        faulting.set(false);
        stream.join();
        long streamEnd = System.currentTimeMillis();
        load.flush();
        ChaosAudit.Verdict verdict = drain(cluster.bootstrapServers(), load, start);
        return report(load, verdict, injected, start, streamEnd);
      }
    }
  }

  private KafkaCluster startCluster() {
    long started = System.nanoTime();
    KafkaCluster cluster =
        KafkaCluster.builder().withNodes(3).withProxiedListener().build().start();
    line(
        "cluster=3 brokers (processes) ready_ms=%d bootstrap=%s",
        (System.nanoTime() - started) / 1_000_000, cluster.bootstrapServers());
    return cluster;
  }

  private void createTopics(String servers) {
    FleetConnection connection = FleetConnection.of(servers).withTopicPrefix(topics.prefix());
    try (TopicAdmin admin = TopicAdmin.connect(connection)) {
      admin.create(PARTITIONS, TopicReplication.SAFE);
    }
  }

  private WorkerProcesses startWorkers(KafkaCluster cluster, Path logs) {
    List<String> servers = new ArrayList<>();
    servers.add(cluster.proxiedBootstrapServers());
    for (int i = 1; i < options.workers(); i++) {
      servers.add(cluster.bootstrapServers());
    }
    List<String> flags = new ArrayList<>();
    flags.addAll(List.of("--levels", "low", "--concurrency", "" + options.concurrency()));
    flags.addAll(List.of("--topic-prefix", topics.prefix(), "--group-id-prefix", topics.prefix()));
    flags.addAll(List.of("--create-topics", "false", "--shutdown-grace", "5s"));
    flags.addAll(List.of("--kafka-config", kafkaConfig(logs).toString()));
    WorkerProcesses workers = new WorkerProcesses(options.workerCommand(), servers, flags, logs);
    long started = System.nanoTime();
    try {
      workers.startAll();
    } catch (RuntimeException e) {
      workers.close();
      throw e;
    }
    line(
        "workers=%d (processes; chaos-0 through the proxies) ready_ms=%d kafka=%s",
        workers.size(), (System.nanoTime() - started) / 1_000_000, options.workerKafkaProperties());
    return workers;
  }

  /**
   * The workers' Kafka properties as the {@code --kafka-config} file {@code capsule worker} reads.
   */
  private Path kafkaConfig(Path logs) {
    Properties properties = new Properties();
    properties.putAll(options.workerKafkaProperties());
    Path file = logs.resolve("worker-kafka.properties");
    try (var writer = Files.newBufferedWriter(file)) {
      properties.store(writer, "chaos run: every worker's Kafka client properties");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** The stream: at least the options' tasks, and on until the faults are over and a tail ran. */
  private Thread streamThread(ChaosLoad load, AtomicBoolean faulting) {
    Thread stream =
        new Thread(
            () -> {
              try {
                load.run(options.tasks(), options.rate(), faulting::get);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "chaos-stream");
    stream.start();
    return stream;
  }

  /** Audits until every task is accounted for (or the drain time is up), then once more. */
  private ChaosAudit.Verdict drain(String servers, ChaosLoad load, long start)
      throws InterruptedException {
    ChaosAudit audit = new ChaosAudit(servers, topics, start);
    long deadline = System.nanoTime() + DRAIN.toNanos();
    ChaosAudit.Verdict verdict = audit.check(load.submitted());
    while (!verdict.complete() && System.nanoTime() < deadline) {
      TimeUnit.SECONDS.sleep(2);
      verdict = audit.check(load.submitted());
    }
    TimeUnit.MILLISECONDS.sleep(SETTLE.toMillis());
    return audit.check(load.submitted());
  }

  private Result report(
      ChaosLoad load,
      ChaosAudit.Verdict verdict,
      List<ChaosFault> faults,
      long start,
      long streamEnd) {
    ChaosTimeline timeline = ChaosTimeline.of(load.submitted(), verdict.completedAtMillis());
    for (int i = 0; i < faults.size(); i++) {
      ChaosFault fault = faults.get(i);
      long windowEnd = i + 1 < faults.size() ? faults.get(i + 1).startMillis() : streamEnd;
      line(
          "fault=%s target=%s at=+%.1fs lasted=%.1fs gap_all=%.2fs gap_partition=%.2fs"
              + " duplicates=%d",
          fault.kind(),
          fault.target(),
          (fault.startMillis() - start) / 1000.0,
          (fault.endMillis() - fault.startMillis()) / 1000.0,
          timeline.gapAll(fault.startMillis(), windowEnd) / 1000.0,
          timeline.gapPartition(fault.startMillis(), windowEnd) / 1000.0,
          verdict.duplicateAtMillis().stream()
              .filter(t -> t >= fault.startMillis() && t < windowEnd)
              .count());
    }
    long firstCompletion =
        verdict.completedAtMillis().values().stream()
            .mapToLong(Long::longValue)
            .min()
            .orElse(start);
    line("first_completion=+%.1fs", (firstCompletion - start) / 1000.0);
    long firstFault = faults.isEmpty() ? streamEnd : faults.get(0).startMillis();
    long lastFaultEnd = faults.isEmpty() ? streamEnd : faults.get(faults.size() - 1).endMillis();
    line(
        "throughput_per_s before=%.1f during=%.1f after=%.1f (submitted at %.1f/s)",
        timeline.throughput(Math.min(firstCompletion, firstFault), firstFault),
        timeline.throughput(firstFault, lastFaultEnd),
        timeline.throughput(lastFaultEnd, streamEnd),
        options.rate());
    verdict.examples().forEach(example -> line("example %s", example));
    line(
        "tasks=%d lost=%d duplicate_finals=%d wrong_results=%d stale_states=%d failed_sends=%d",
        verdict.tasks(),
        verdict.lost(),
        verdict.duplicateFinals(),
        verdict.wrongResults(),
        verdict.staleStates(),
        load.failedSends());
    line("lost=%d duplicate_finals=%d", verdict.lost(), verdict.duplicateFinals());
    return new Result(
        verdict.tasks(),
        verdict.lost(),
        verdict.duplicateFinals(),
        verdict.wrongResults(),
        verdict.staleStates());
  }

  private void line(String format, Object... args) {
    out.println(String.format(java.util.Locale.ROOT, format, args));
    out.flush();
  }

  /** One TCP proxy per broker for the proxied listener. */
  static final class Proxies implements AutoCloseable {
    private final List<TcpProxy> proxies;

    private Proxies(List<TcpProxy> proxies) {
      this.proxies = proxies;
    }

    static Proxies of(KafkaCluster cluster) {
      List<TcpProxy> started = new ArrayList<>();
      for (KafkaCluster.ProxyRoute route : cluster.proxyRoutes()) {
        started.add(TcpProxy.start(route.listenPort(), route.targetPort()));
      }
      return new Proxies(started);
    }

    void stall() {
      proxies.forEach(TcpProxy::stall);
    }

    void cut() {
      proxies.forEach(TcpProxy::cut);
    }

    void heal() {
      proxies.forEach(TcpProxy::heal);
    }

    @Override
    public void close() {
      proxies.forEach(TcpProxy::close);
    }
  }

  static String groupId(Topics topics) {
    return topics.prefix() + "-workers-" + ComputeLevel.LOW.topicSuffix();
  }
}
