package io.capsule.cli;

import io.capsule.dispatcher.TopicAdmin;
import io.capsule.dispatcher.TopicAdmin.TopicStatus;
import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.TopicReplication;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code capsule topics [--create] [--partitions N] [--replication-factor N] [--min-insync-replicas
 * N] [--describe]}.
 */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = {
      "Create (--create) or describe (the default) the contract's topics.",
      "Creating is idempotent: existing topics are left as they are, and the command waits until",
      "the cluster's metadata shows every topic before it reports.",
      "Prints: NAME PARTITIONS REPLICAS CONFIGS [created] [differs: …]. Exits 1 if a topic is",
      "missing, or if an existing one has other replication settings than --create asked for."
    })
final class TopicsCommand implements Callable<Integer> {
  @Option(names = "--create", description = "Create the topics that are missing.")
  boolean create;

  @Option(names = "--describe", description = "Describe the topics (the default).")
  boolean describe;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      defaultValue = "3",
      description = "Partitions of each created topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--replication-factor",
      paramLabel = "N",
      description =
          "Replicas per partition of created topics (default: the broker's"
              + " default.replication.factor; 3 for a production cluster).")
  Integer replicationFactor;

  @Option(
      names = "--min-insync-replicas",
      paramLabel = "N",
      description =
          "min.insync.replicas of created topics: replicas that must have a write before it is"
              + " acknowledged (default: the broker's; 2 with 3 replicas).")
  Integer minInsyncReplicas;

  @Mixin KafkaFlags kafka = new KafkaFlags.Cluster();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (partitions < 1) {
      throw new UsageException("--partitions must be at least 1");
    }
    TopicReplication replication = replication();
    List<TopicStatus> statuses;
    try (TopicAdmin admin = TopicAdmin.connect(kafka.connection())) {
      statuses = create ? admin.create(partitions, replication) : admin.describe();
    }
    PrintWriter out = spec.commandLine().getOut();
    boolean exact = true;
    for (TopicStatus status : statuses) {
      List<String> differences = create ? differences(status, replication) : List.of();
      exact &= status.exists() && differences.isEmpty();
      out.println(line(status, differences));
    }
    out.flush();
    return exact ? 0 : Main.TASK_FAILED;
  }

  private TopicReplication replication() {
    try {
      return new TopicReplication(
          replicationFactor == null ? 0 : requirePositive(replicationFactor, "replication-factor"),
          minInsyncReplicas == null
              ? 0
              : requirePositive(minInsyncReplicas, "min-insync-replicas"));
    } catch (InvalidRequestException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private static int requirePositive(int value, String flag) {
    if (value < 1) {
      throw new UsageException("--" + flag + " must be at least 1");
    }
    return value;
  }

  /** How an existing topic differs from the replication asked for (only what was asked). */
  static List<String> differences(TopicStatus status, TopicReplication asked) {
    List<String> differences = new ArrayList<>();
    if (!status.exists()) {
      return differences;
    }
    if (asked.factor() != 0 && status.replicationFactor() != asked.factor()) {
      differences.add("replicas " + status.replicationFactor() + " (asked " + asked.factor() + ")");
    }
    String minIsr = status.configs().get("min.insync.replicas");
    if (asked.minInsyncReplicas() != 0
        && !String.valueOf(asked.minInsyncReplicas()).equals(minIsr)) {
      differences.add(
          "min.insync.replicas " + minIsr + " (asked " + asked.minInsyncReplicas() + ")");
    }
    return differences;
  }

  private static String line(TopicStatus s, List<String> differences) {
    if (!s.exists()) {
      return s.name() + " missing";
    }
    return s.name()
        + " "
        + s.partitions()
        + " "
        + s.replicationFactor()
        + " "
        + s.configs()
        + (s.created() ? " created" : "")
        + (differences.isEmpty() ? "" : " differs: " + String.join(", ", differences));
  }
}
