package io.capsule.worker;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Compute;
import io.capsule.protocol.Durations;
import io.capsule.protocol.FileGrant;
import java.nio.file.Path;
import java.util.Map;

/**
 * Starts a worker from command-line flags and stops it on SIGTERM (a shutdown hook drains in-flight
 * tasks up to the grace period, then exits 0, or 3 if tasks had to be handed back). Prints {@code
 * ready worker=ID} once started.
 *
 * <p>Flags (each takes a value): {@code --bootstrap-servers}, {@code --levels low,medium,high},
 * {@code --concurrency N}, {@code --mode classic|share}, {@code --outputs
 * idempotent|transactional}, {@code --transaction-interval D}, {@code --kafka-config FILE}, {@code
 * --kafka-property KEY=VALUE} (repeatable), {@code --topic-prefix P}, {@code --group-id-prefix P},
 * {@code --memory-budget SIZE}, {@code --default-timeout D}, {@code --shutdown-grace D}, {@code
 * --metrics-port N}, {@code --worker-id ID}, {@code --create-topics true|false}, {@code
 * --max-deliveries N}, and the policy's: {@code --allow-env A,B}, {@code --files-root DIR[:ro]},
 * {@code --allow-hosts H,H}, {@code --max-timeout D}, {@code --max-compute C}, {@code --max-ram
 * SIZE}, {@code --max-retries N}, {@code --over-ceiling reject|clamp}. Environment variables {@code
 * CAPSULE_KAFKA_*} are Kafka properties, {@code CAPSULE_POLICY_*} set the policy (see {@link
 * WorkerPolicy.Builder#withEnvironmentSettings}); flags win.
 */
public final class WorkerMain {
  private WorkerMain() {}

  /** Runs a worker until the JVM is asked to stop. */
  public static void main(String[] args) throws InterruptedException {
    WorkerConfig config = parse(args, System.getenv());
    CapsuleWorker worker = CapsuleWorker.create(config).start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(worker), "capsule-worker-stop"));
    System.out.println("ready worker=" + config.workerId());
    System.out.flush();
    worker.awaitTermination(java.time.Duration.ofDays(365_000));
  }

  /** Drains the worker; exits 0 after a clean drain, 3 when tasks had to be handed back. */
  private static void stop(CapsuleWorker worker) {
    worker.shutdown().join();
    System.err.println("worker stopped, handed back " + worker.handedBack());
    Runtime.getRuntime().halt(worker.handedBack() == 0 ? 0 : 3);
  }

  /**
   * Parses the flags into a configuration.
   *
   * @throws IllegalArgumentException for an unknown flag or a bad value
   */
  public static WorkerConfig parse(String[] args, Map<String, String> env) {
    WorkerConfig.Builder builder = WorkerConfig.builder();
    builder.withKafkaProperties(WorkerConfig.kafkaPropertiesFromEnvironment(env));
    WorkerPolicy.Builder policy = WorkerPolicy.builder().withEnvironmentSettings(env);
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(args[i] + " needs a value");
      }
      if (!applyPolicy(policy, args[i], args[i + 1])) {
        apply(builder, args[i], args[i + 1]);
      }
    }
    return builder.withPolicy(policy.build()).build();
  }

  private static boolean applyPolicy(WorkerPolicy.Builder policy, String flag, String value) {
    switch (flag) {
      case "--allow-env" -> policy.withEnvVariables(WorkerPolicy.Builder.list(value));
      case "--files-root" -> policy.withFilesRoot(FileGrant.parse(value));
      case "--allow-hosts" -> policy.withAllowedHosts(WorkerPolicy.Builder.list(value));
      case "--default-timeout" -> policy.withDefaultTimeout(Durations.parse(value));
      case "--max-timeout" -> policy.withMaxTimeout(Durations.parse(value));
      case "--max-compute" -> policy.withMaxCompute(Compute.parse(value));
      case "--max-ram" -> policy.withMaxRam(ByteSize.parse(value));
      case "--max-retries" -> policy.withMaxRetries(Integer.parseInt(value));
      case "--over-ceiling" -> policy.withOverCeiling(WorkerPolicy.Builder.overCeiling(value));
      default -> {
        return false;
      }
    }
    return true;
  }

  private static void apply(WorkerConfig.Builder builder, String flag, String value) {
    switch (flag) {
      case "--bootstrap-servers" -> builder.withBootstrapServers(value);
      case "--levels" -> builder.withLevels(value);
      case "--concurrency" -> builder.withConcurrency(Integer.parseInt(value));
      case "--max-deliveries" -> builder.withMaxDeliveries(Integer.parseInt(value));
      case "--mode" -> builder.withMode(ConsumptionMode.parse(value));
      case "--outputs" -> builder.withOutputs(OutputMode.parse(value));
      case "--transaction-interval" -> builder.withTransactionInterval(Durations.parse(value));
      case "--kafka-config" ->
          builder.withKafkaProperties(WorkerConfig.kafkaPropertiesFromFile(Path.of(value)));
      case "--kafka-property" -> {
        int eq = value.indexOf('=');
        if (eq < 1) {
          throw new IllegalArgumentException("--kafka-property needs KEY=VALUE");
        }
        builder.withKafkaProperty(value.substring(0, eq), value.substring(eq + 1));
      }
      case "--topic-prefix" -> builder.withTopicPrefix(value);
      case "--group-id-prefix" -> builder.withGroupIdPrefix(value);
      case "--memory-budget" -> builder.withMemoryBudget(ByteSize.parse(value));
      case "--shutdown-grace" -> builder.withShutdownGrace(Durations.parse(value));
      case "--running-event-after" ->
          builder.withRunningEventAfter(
              value.strip().equals("0") ? java.time.Duration.ZERO : Durations.parse(value));
      case "--metrics-port" -> builder.withMetricsPort(Integer.parseInt(value));
      case "--worker-id" -> builder.withWorkerId(value);
      case "--create-topics" -> builder.withCreateTopics(Boolean.parseBoolean(value));
      default -> throw new IllegalArgumentException("unknown flag " + flag);
    }
  }
}
