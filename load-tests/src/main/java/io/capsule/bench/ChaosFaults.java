package io.capsule.bench;

import io.capsule.broker.KafkaCluster;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;

/**
 * The chaos run's fault schedule: after a 15 s warm-up, faults one after another with 10 s between
 * the end of one and the start of the next, for as long as the stream runs (the quick form runs
 * each kind once). A killed broker is restarted after a downtime and the next broker fault waits
 * until every partition has all its replicas in sync again, so two brokers are never down at once
 * (with {@code min.insync.replicas=2} of three, that would stop writes by design).
 */
final class ChaosFaults {
  private static final List<String> FULL_CYCLE =
      List.of(
          "worker-kill",
          "leader-kill",
          "worker-kill",
          "worker-freeze",
          "worker-kill",
          "coordinator-kill",
          "worker-kill",
          "proxy-stall");
  private static final List<String> QUICK_CYCLE =
      List.of("worker-kill", "leader-kill", "coordinator-kill", "worker-freeze", "proxy-stall");
  private static final Duration BROKER_DOWNTIME = Duration.ofSeconds(5);
  private static final Duration WORKER_DOWNTIME = Duration.ofSeconds(1);
  private static final Duration ISR_WAIT = Duration.ofMinutes(2);
  private static final Duration WARM_UP = Duration.ofSeconds(15);
  private static final Duration PAUSE = Duration.ofSeconds(10);
  // The quick form (CI) keeps every fault kind but waits less around them.
  private static final Duration QUICK_WARM_UP = Duration.ofSeconds(8);
  private static final Duration QUICK_PAUSE = Duration.ofSeconds(6);

  private final KafkaCluster cluster;
  private final WorkerProcesses workers;
  private final ChaosBench.Proxies proxies;
  private final Topics topics;
  private final ChaosOptions options;
  private final BiConsumer<String, Object[]> log;
  private int nextWorker = 1;

  ChaosFaults(
      KafkaCluster cluster,
      WorkerProcesses workers,
      ChaosBench.Proxies proxies,
      Topics topics,
      ChaosOptions options,
      BiConsumer<String, Object[]> log) {
    this.cluster = cluster;
    this.workers = workers;
    this.proxies = proxies;
    this.topics = topics;
    this.options = options;
    this.log = log;
  }

  /**
   * Runs faults after a warm-up, a pause apart: the quick form each kind once, the full form the
   * cycle over and over until the stream has submitted its tasks.
   *
   * @return the faults, in order
   */
  List<ChaosFault> runSchedule(ChaosLoad load) throws InterruptedException {
    List<String> cycle = options.quick() ? QUICK_CYCLE : FULL_CYCLE;
    List<ChaosFault> done = new ArrayList<>();
    TimeUnit.MILLISECONDS.sleep((options.quick() ? QUICK_WARM_UP : WARM_UP).toMillis());
    for (int i = 0; options.quick() ? i < cycle.size() : load.count() < options.tasks(); i++) {
      ChaosFault fault = inject(cycle.get(i % cycle.size()));
      log.accept(
          "injected %s %s (%.1fs)",
          new Object[] {
            fault.kind(), fault.target(), (fault.endMillis() - fault.startMillis()) / 1000.0
          });
      done.add(fault);
      TimeUnit.MILLISECONDS.sleep((options.quick() ? QUICK_PAUSE : PAUSE).toMillis());
    }
    return done;
  }

  /** How long the longest worker fault lasts: past the session timeout, plus a margin. */
  private long faultLength() {
    return options.sessionTimeoutMs() + 4_000;
  }

  private ChaosFault inject(String kind) throws InterruptedException {
    try {
      return injectOrFail(kind);
    } catch (InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("could not inject " + kind, e);
    }
  }

  private ChaosFault injectOrFail(String kind) throws Exception {
    return switch (kind) {
      case "worker-kill" -> workerKill();
      case "leader-kill" -> brokerKill(kind, leaderOfTaskPartition());
      case "coordinator-kill" -> brokerKill(kind, coordinator());
      case "worker-freeze" -> workerFreeze();
      case "proxy-stall" -> proxyStall();
      default -> throw new IllegalArgumentException(kind);
    };
  }

  private ChaosFault workerKill() throws InterruptedException {
    int worker = pickWorker();
    long start = System.currentTimeMillis();
    workers.kill(worker);
    TimeUnit.MILLISECONDS.sleep(WORKER_DOWNTIME.toMillis());
    workers.start(worker);
    return new ChaosFault(
        "worker-kill", WorkerProcesses.workerId(worker), start, System.currentTimeMillis());
  }

  private ChaosFault workerFreeze() throws InterruptedException {
    int worker = pickWorker();
    long start = System.currentTimeMillis();
    workers.freeze(worker);
    TimeUnit.MILLISECONDS.sleep(faultLength());
    workers.thaw(worker);
    return new ChaosFault(
        "worker-freeze", WorkerProcesses.workerId(worker), start, System.currentTimeMillis());
  }

  /** Stalls chaos-0's connections past its session timeout, then cuts them, then heals. */
  private ChaosFault proxyStall() throws InterruptedException {
    long start = System.currentTimeMillis();
    proxies.stall();
    TimeUnit.MILLISECONDS.sleep(faultLength());
    proxies.cut();
    proxies.heal();
    return new ChaosFault(
        "proxy-stall", WorkerProcesses.workerId(0), start, System.currentTimeMillis());
  }

  private ChaosFault brokerKill(String kind, int broker) throws Exception {
    awaitFullIsr();
    long start = System.currentTimeMillis();
    cluster.kill(broker);
    TimeUnit.MILLISECONDS.sleep(BROKER_DOWNTIME.toMillis());
    cluster.restart(broker);
    return new ChaosFault(kind, "broker-" + broker, start, System.currentTimeMillis());
  }

  /** Workers 1..W-1 in turn (chaos-0 is the one behind the proxies). */
  private int pickWorker() {
    int worker = nextWorker;
    nextWorker = nextWorker + 1 < workers.size() ? nextWorker + 1 : 1;
    return worker;
  }

  private int leaderOfTaskPartition() throws Exception {
    try (Admin admin = admin()) {
      String topic = topics.tasks(ComputeLevel.LOW);
      TopicDescription description =
          admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
      return description.partitions().get(0).leader().id();
    }
  }

  private int coordinator() throws Exception {
    String group = ChaosBench.groupId(topics);
    try (Admin admin = admin()) {
      return admin
          .describeConsumerGroups(List.of(group))
          .describedGroups()
          .get(group)
          .get(30, TimeUnit.SECONDS)
          .coordinator()
          .id();
    }
  }

  /** Waits until every partition of the run's topics has all three replicas in sync. */
  private void awaitFullIsr() throws InterruptedException {
    long deadline = System.nanoTime() + ISR_WAIT.toNanos();
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline && !fullIsr(admin)) {
        TimeUnit.MILLISECONDS.sleep(500);
      }
    }
  }

  private boolean fullIsr(Admin admin) throws InterruptedException {
    List<String> names = topics.specs().stream().map(s -> s.name()).toList();
    try {
      Map<String, TopicDescription> all =
          admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
      return all.values().stream()
          .flatMap(t -> t.partitions().stream())
          .allMatch(p -> p.isr().size() == p.replicas().size());
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  private Admin admin() {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            cluster.bootstrapServers(),
            AdminClientConfig.CLIENT_ID_CONFIG,
            "chaos-faults"));
  }
}
