package io.capsule.cli;

import io.capsule.dispatcher.TopicAdmin;
import io.capsule.dispatcher.TopicAdmin.TopicStatus;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code capsule topics [--create] [--partitions N] [--describe]}. */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = {
      "Create (--create) or describe (the default) the contract's topics.",
      "Existing topics are left as they are. Prints: NAME PARTITIONS REPLICAS CONFIGS [created]."
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
      description = "Replicas per partition of created topics (default: the broker's).")
  Short replicationFactor;

  @Mixin KafkaFlags kafka = new KafkaFlags.Cluster();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (partitions < 1) {
      throw new UsageException("--partitions must be at least 1");
    }
    List<TopicStatus> statuses;
    try (TopicAdmin admin = TopicAdmin.connect(kafka.connection())) {
      statuses =
          create
              ? admin.create(partitions, Optional.ofNullable(replicationFactor))
              : admin.describe();
    }
    PrintWriter out = spec.commandLine().getOut();
    statuses.forEach(s -> out.println(line(s)));
    out.flush();
    return statuses.stream().allMatch(TopicStatus::exists) ? 0 : Main.TASK_FAILED;
  }

  private static String line(TopicStatus s) {
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
        + (s.created() ? " created" : "");
  }
}
