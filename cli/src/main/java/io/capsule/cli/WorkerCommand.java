package io.capsule.cli;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Durations;
import io.capsule.worker.CapsuleWorker;
import io.capsule.worker.ConsumptionMode;
import io.capsule.worker.OutputMode;
import io.capsule.worker.WorkerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code capsule worker}: a fleet worker on the levels' task topics until SIGTERM / Ctrl-C, which
 * drains in-flight tasks up to the grace period.
 */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = "Runs tasks from Kafka: one consumer group per compute level.")
final class WorkerCommand implements Callable<Integer> {
  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka brokers.")
  String bootstrapServers;

  @Option(names = "--levels", defaultValue = "low,medium,high", description = "Levels consumed.")
  String levels;

  @Option(names = "--concurrency", description = "Tasks run at once (default: CPUs).")
  Integer concurrency;

  @Option(names = "--mode", defaultValue = "classic", description = "classic or share.")
  String mode;

  @Option(
      names = "--outputs",
      defaultValue = "idempotent",
      description =
          "idempotent (each output sent on its own; at least once) or transactional (an"
              + " attempt's outputs and its offset commit in one Kafka transaction; one final"
              + " envelope per task for read_committed readers; classic mode only).")
  String outputs;

  @Option(
      names = "--transaction-interval",
      defaultValue = "10ms",
      description = "With transactional outputs, how often the open transaction commits.")
  String transactionInterval;

  @Option(names = "--kafka-config", paramLabel = "FILE", description = "Kafka client properties.")
  Path kafkaConfig;

  @Option(names = "--topic-prefix", defaultValue = "capsule", description = "Topic name prefix.")
  String topicPrefix;

  @Option(names = "--group-id-prefix", defaultValue = "capsule", description = "Group prefix.")
  String groupIdPrefix;

  @Option(names = "--memory-budget", defaultValue = "1GB", description = "Sum of ram caps.")
  String memoryBudget;

  @Option(names = "--shutdown-grace", defaultValue = "30s", description = "Drain time on stop.")
  String shutdownGrace;

  @Option(
      names = "--running-event-after",
      defaultValue = "50ms",
      description = "Publish an attempt's running event once it has run this long (0 = at start).")
  String runningEventAfter;

  @Option(names = "--metrics-port", defaultValue = "-1", description = "/metrics, /health port.")
  int metricsPort;

  @Option(names = "--worker-id", description = "Name in envelopes and events.")
  String workerId;

  @Option(
      names = "--max-deliveries",
      defaultValue = "3",
      description =
          "Deliveries of one attempt that may end with their worker gone before the task is"
              + " dead-lettered (default: ${DEFAULT-VALUE}).")
  int maxDeliveries;

  @Mixin WorkerPolicyFlags policy = new WorkerPolicyFlags();

  @Option(
      names = "--create-topics",
      defaultValue = "true",
      arity = "1",
      description = "Create missing topics at start (needs admin rights).")
  boolean createTopics;

  @Override
  public Integer call() throws InterruptedException {
    CapsuleWorker worker = CapsuleWorker.create(config(System.getenv())).start();
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> worker.shutdown().join(), "capsule-worker-stop"));
    System.out.println(
        "worker "
            + worker.config().workerId()
            + " consuming "
            + levels
            + (worker.metricsPort() >= 0 ? " metrics=:" + worker.metricsPort() : ""));
    System.out.flush();
    worker.awaitTermination(Duration.ofDays(365_000));
    return 0;
  }

  WorkerConfig config(Map<String, String> env) {
    WorkerConfig.Builder builder =
        WorkerConfig.builder()
            .withKafkaProperties(WorkerConfig.kafkaPropertiesFromEnvironment(env))
            .withLevels(levels)
            .withMode(ConsumptionMode.parse(mode))
            .withOutputs(OutputMode.parse(outputs))
            .withTransactionInterval(Durations.parse(transactionInterval))
            .withTopicPrefix(topicPrefix)
            .withGroupIdPrefix(groupIdPrefix)
            .withMemoryBudget(ByteSize.parse(memoryBudget))
            .withPolicy(policy.policy(env))
            .withMaxDeliveries(maxDeliveries)
            .withShutdownGrace(Durations.parse(shutdownGrace))
            .withRunningEventAfter(
                runningEventAfter.strip().equals("0")
                    ? Duration.ZERO
                    : Durations.parse(runningEventAfter))
            .withMetricsPort(metricsPort)
            .withCreateTopics(createTopics);
    if (kafkaConfig != null) {
      builder.withKafkaProperties(WorkerConfig.kafkaPropertiesFromFile(kafkaConfig));
    }
    if (bootstrapServers != null) {
      builder.withBootstrapServers(bootstrapServers);
    }
    if (concurrency != null) {
      builder.withConcurrency(concurrency);
    }
    if (workerId != null) {
      builder.withWorkerId(workerId);
    }
    return builder.build();
  }
}
