package io.capsule.cli;

import io.capsule.broker.EmbeddedKafka;
import io.capsule.broker.KafkaCluster;
import io.capsule.dispatcher.FleetConnection;
import io.capsule.dispatcher.TopicAdmin;
import io.capsule.dispatcher.gateway.BearerTokens;
import io.capsule.dispatcher.gateway.CapsuleGateway;
import io.capsule.dispatcher.gateway.GatewayConfig;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;
import io.capsule.protocol.TopicReplication;
import io.capsule.worker.CapsuleWorker;
import io.capsule.worker.WorkerConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code capsule up}: a whole fleet in one process, for development and demos — an embedded Kafka
 * broker (unless {@code --bootstrap-servers} names a cluster), the contract's topics, one worker
 * pool per compute level and the HTTP gateway with its dashboard. Failures are logged on stderr;
 * with {@code --verbose}, every task's state changes. Prints {@code ready bootstrap=HOST:PORT …
 * gateway=http://HOST:PORT token=TOKEN} on stdout once tasks are accepted (a development token is
 * generated; {@code --no-auth} serves the gateway open and prints no token); stops cleanly on
 * Ctrl-C or SIGTERM (workers drain for {@code --shutdown-grace}, then the broker closes).
 */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Run a local fleet: embedded Kafka + one worker pool per level + HTTP gateway/dashboard.",
      "Prints 'ready bootstrap=HOST:PORT … gateway=http://HOST:PORT token=TOKEN' on stdout when",
      "it accepts tasks; logs on stderr.",
      "Stop it with Ctrl-C (or SIGTERM: kill PID): workers drain for --shutdown-grace, then the",
      "brokers stop. Without --data-dir nothing is kept: the brokers' temp directory is deleted",
      "(and one left by a killed 'capsule up' is deleted on the next start)."
    })
final class UpCommand implements Callable<Integer> {
  private static final List<ComputeLevel> LEVELS =
      List.of(ComputeLevel.LOW, ComputeLevel.MEDIUM, ComputeLevel.HIGH);

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "0",
      description = "Port of the embedded broker (default: a free one).")
  int port;

  @Option(
      names = "--brokers",
      paramLabel = "N",
      defaultValue = "1",
      description = {
        "Kafka brokers to start (default: ${DEFAULT-VALUE}, in this process). With 2 or more,",
        "each is a separate process (KRaft, every node broker and controller) and the topics get",
        "3 replicas (or N) with min.insync.replicas=2 (1 below 3 brokers)."
      })
  int brokers;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Keep the brokers' data in DIR, so a restarted 'capsule up' has its topics, tasks and"
              + " results (default: a temp directory deleted on exit).")
  Path dataDir;

  @Option(
      names = "--concurrency",
      paramLabel = "N",
      defaultValue = "2",
      description = "Tasks run at once per level (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      defaultValue = "3",
      description = "Partitions of each created topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--shutdown-grace",
      paramLabel = "DURATION",
      converter = TaskOptionFlags.DurationConverter.class,
      defaultValue = "10s",
      description = "How long in-flight tasks may finish on shutdown (default: ${DEFAULT-VALUE}).")
  Duration shutdownGrace;

  @Option(
      names = "--gateway-port",
      paramLabel = "PORT",
      defaultValue = "0",
      description = "Port of the HTTP gateway and dashboard (default: a free one).")
  int gatewayPort;

  @Option(
      names = {"-v", "--verbose"},
      description = "Log every task's state changes on stderr (default: failures only).")
  boolean verbose;

  @Mixin KafkaFlags kafka = new KafkaFlags.ForUp();

  @Mixin GatewayFlags gatewayFlags = new GatewayFlags();

  @Mixin WorkerPolicyFlags policy = new WorkerPolicyFlags();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  private final CountDownLatch stopped = new CountDownLatch(1);
  private EmbeddedKafka broker;
  private KafkaCluster cluster;
  private final List<CapsuleWorker> workers = new ArrayList<>();
  private CapsuleGateway gateway;

  @Override
  public Integer call() throws InterruptedException {
    Thread hook = new Thread(this::stop, "capsule-up-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    validate();
    String servers = kafka.serversGiven() ? kafka.connection().bootstrapServers() : startBrokers();
    FleetConnection connection = kafka.connection(servers);
    try (TopicAdmin admin = TopicAdmin.connect(connection)) {
      admin.create(partitions, replication());
    }
    LEVELS.forEach(level -> workers.add(startWorker(connection, level)));
    BearerTokens token = BearerTokens.generate();
    GatewayConfig config =
        gatewayFlags.config(gatewayPort, token.and(gatewayFlags.configuredTokens(System.getenv())));
    gateway = CapsuleGateway.start(connection, config, client -> client.onEvent(this::log));
    log("dashboard " + dashboardLink(token));
    System.out.println(
        "ready bootstrap="
            + servers
            + " topics="
            + connection.topics().prefix()
            + " levels=low,medium,high gateway="
            + gateway.url()
            + (config.authRequired() ? " token=" + token.any() : ""));
    System.out.flush();
    stopped.await();
    return 0;
  }

  private String dashboardLink(BearerTokens token) {
    return gateway.url() + "/" + (gatewayFlags.noAuth ? "" : "?access_token=" + token.any());
  }

  private void validate() {
    if (brokers < 1 || brokers > 9) {
      throw new UsageException("--brokers must be 1..9");
    }
    if (brokers > 1 && port != 0) {
      throw new UsageException(
          "--port names the single embedded broker's port; not with --brokers");
    }
    if (kafka.serversGiven() && (brokers > 1 || dataDir != null)) {
      throw new UsageException(
          "--brokers and --data-dir start brokers; not with --bootstrap-servers");
    }
  }

  private String startBrokers() {
    if (brokers > 1) {
      log("starting a Kafka cluster of " + brokers + " broker processes");
      KafkaCluster.Builder builder = KafkaCluster.builder().withNodes(brokers);
      if (dataDir != null) {
        builder.withDataDir(dataDir);
      }
      cluster = builder.build().start();
      return cluster.bootstrapServers();
    }
    log("starting embedded Kafka");
    EmbeddedKafka.Builder builder =
        EmbeddedKafka.builder().withPort(port).withCloseOnJvmExit(false);
    if (dataDir != null) {
      builder.withLogDir(dataDir);
    }
    broker = builder.build().start();
    return broker.bootstrapServers();
  }

  /** Replicated topics on a cluster of our own; the cluster's defaults on any other. */
  private TopicReplication replication() {
    if (kafka.serversGiven() || brokers == 1) {
      return TopicReplication.BROKER_DEFAULT;
    }
    int factor = Math.min(3, brokers);
    return new TopicReplication(factor, factor >= 3 ? 2 : 1);
  }

  private CapsuleWorker startWorker(FleetConnection connection, ComputeLevel level) {
    WorkerConfig config =
        WorkerConfig.builder()
            .withBootstrapServers(connection.bootstrapServers())
            .withTopicPrefix(connection.topics().prefix())
            .withKafkaProperties(connection.properties())
            .withLevels(Set.of(level))
            .withConcurrency(concurrency)
            .withPolicy(policy.policy(System.getenv()))
            .withShutdownGrace(shutdownGrace)
            .withCreateTopics(false)
            .withWorkerId("up-" + level.topicSuffix())
            .build();
    return CapsuleWorker.create(config).start();
  }

  /** Stops the gateway, drains the workers, closes the broker (runs from the shutdown hook). */
  private void stop() {
    log("stopping");
    quietly("gateway", () -> gateway.close(), gateway != null);
    workers.forEach(CapsuleWorker::shutdown);
    for (CapsuleWorker worker : workers) {
      quietly(worker.config().workerId(), () -> worker.shutdown().join(), true);
    }
    quietly("broker", () -> broker.close(), broker != null);
    quietly("brokers", () -> cluster.close(), cluster != null);
    log("stopped");
    stopped.countDown();
  }

  /** One shutdown step; a failure is logged and the next step still runs. */
  private static void quietly(String what, Runnable step, boolean needed) {
    if (!needed) {
      return;
    }
    try {
      step.run();
    } catch (RuntimeException e) {
      log("stopping " + what + " failed: " + e);
    }
  }

  /** A live task line: every change with {@code --verbose}, else failures only. */
  private void log(LifecycleEvent event) {
    boolean failure = event.errorType() != null || event.state() == TaskState.DEAD_LETTERED;
    if (verbose || failure) {
      log(taskLine(event));
    }
  }

  static String taskLine(LifecycleEvent event) {
    StringBuilder line = new StringBuilder("task ").append(event.taskId());
    line.append(' ').append(event.state().wireName());
    append(line, "level", event.level());
    append(line, "attempt", event.attempt() > 0 ? event.attempt() : null);
    append(line, "worker", event.worker());
    ResultEnvelope envelope = event.envelope();
    if (envelope != null) {
      append(line, "duration_ms", envelope.execution().durationMs());
      append(line, "fuel", envelope.execution().fuelConsumed());
    }
    append(line, "error", event.errorType() == null ? null : event.errorType().wireName());
    if (event.errorType() != null && event.message() != null) {
      line.append(": ").append(event.message());
    }
    return line.toString();
  }

  private static void append(StringBuilder line, String key, Object value) {
    if (value != null) {
      line.append(' ').append(key).append('=').append(value);
    }
  }

  private static void log(String line) {
    PrintStream err = System.err;
    err.println("capsule up: " + line);
    err.flush();
  }
}
