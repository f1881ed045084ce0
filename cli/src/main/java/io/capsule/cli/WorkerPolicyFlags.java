package io.capsule.cli;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Compute;
import io.capsule.protocol.Durations;
import io.capsule.protocol.FileGrant;
import io.capsule.worker.WorkerPolicy;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The worker policy flags of {@code capsule worker} and {@code capsule up}: what the operator
 * grants every task. Unset flags keep the {@code CAPSULE_POLICY_*} environment variable or the
 * default (see {@link WorkerPolicy}).
 */
final class WorkerPolicyFlags {
  @Option(
      names = "--allow-env",
      paramLabel = "NAME[,…]",
      description =
          "Host variables a task may be given (default: none; CAPSULE_* are always refused).")
  String allowEnv;

  @Option(
      names = "--files-root",
      paramLabel = "DIR[:ro]",
      description = "The directory allowed_files may be granted under (default: no files).")
  String filesRoot;

  @Option(
      names = "--allow-hosts",
      paramLabel = "HOST[,…]",
      description =
          "Hosts a task may call (default: *, public hosts only; name private ones literally).")
  String allowHosts;

  @Option(
      names = "--default-timeout",
      paramLabel = "DURATION",
      description = "Timeout of a task that names none (default: 5m).")
  String defaultTimeout;

  @Option(
      names = "--max-timeout",
      paramLabel = "DURATION",
      description = "Longest timeout a task may have (default: 15m).")
  String maxTimeout;

  @Option(
      names = "--max-compute",
      paramLabel = "LEVEL|FUEL",
      description = "Largest fuel budget (default: the highest level consumed).")
  String maxCompute;

  @Option(
      names = "--max-ram",
      paramLabel = "SIZE",
      description = "Largest ram cap (default: the memory budget).")
  String maxRam;

  @Option(
      names = "--max-retries",
      paramLabel = "N",
      description = "Most retries a task may have (default: 5).")
  Integer maxRetries;

  @Option(
      names = "--over-ceiling",
      paramLabel = "reject|clamp",
      description =
          "A request above the ceiling fails (reject, the default) or is lowered (clamp).")
  String overCeiling;

  @Option(
      names = "--max-sub-tasks",
      paramLabel = "N",
      description = "Most sub-tasks one task tree may start in all (default: 64).")
  Integer maxSubTasks;

  @Option(
      names = "--max-sub-task-depth",
      paramLabel = "N",
      description = "How deep sub-tasks may nest; 0 allows none (default: 4).")
  Integer maxSubTaskDepth;

  /** The policy from {@code env}'s {@code CAPSULE_POLICY_*} variables, then these flags. */
  WorkerPolicy policy(Map<String, String> env) {
    WorkerPolicy.Builder policy = WorkerPolicy.builder().withEnvironmentSettings(env);
    if (allowEnv != null) {
      policy.withEnvVariables(WorkerPolicy.Builder.list(allowEnv));
    }
    if (filesRoot != null) {
      policy.withFilesRoot(FileGrant.parse(filesRoot));
    }
    if (allowHosts != null) {
      policy.withAllowedHosts(WorkerPolicy.Builder.list(allowHosts));
    }
    if (maxTimeout != null) {
      policy.withMaxTimeout(Durations.parse(maxTimeout));
    }
    if (defaultTimeout != null) {
      policy.withDefaultTimeout(Durations.parse(defaultTimeout));
    }
    if (maxCompute != null) {
      policy.withMaxCompute(Compute.parse(maxCompute));
    }
    if (maxRam != null) {
      policy.withMaxRam(ByteSize.parse(maxRam));
    }
    if (maxRetries != null) {
      policy.withMaxRetries(maxRetries);
    }
    if (overCeiling != null) {
      policy.withOverCeiling(WorkerPolicy.Builder.overCeiling(overCeiling));
    }
    if (maxSubTasks != null) {
      policy.withMaxSubTasks(maxSubTasks);
    }
    if (maxSubTaskDepth != null) {
      policy.withMaxSubTaskDepth(maxSubTaskDepth);
    }
    return policy.build();
  }
}
