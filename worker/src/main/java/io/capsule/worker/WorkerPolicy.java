package io.capsule.worker;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.Durations;
import io.capsule.protocol.FileGrant;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.OperatorCeiling.OverCeiling;
import io.capsule.sandbox.SandboxConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What the operator of a worker grants every task it runs, whoever produced the request: the
 * worker's ceiling over a request's declared options. Build with {@link #builder()}; every setter
 * validates at once. The defaults grant nothing a task could use against the worker: no host
 * variables, no files, public hosts only.
 *
 * @param envVariables host variables a task may be given (default none); never one of the worker's
 *     own ({@code CAPSULE_*}) — such a policy is refused
 * @param filesRoot the one directory (and its mode) under which {@code allowed_files} may be
 *     granted, or {@code null} for no file grants at all (the default)
 * @param allowedHosts hosts a task may call (default {@code *}: public hosts; loopback, private,
 *     link-local and metadata addresses only when listed here literally)
 * @param defaultTimeout the timeout of a task that names none (default 5m, or the maximum timeout
 *     when that is shorter)
 * @param maxTimeout the longest timeout a task may have (default 15m)
 * @param maxCompute the largest fuel budget, or {@code null} for the highest level the worker
 *     consumes (the default)
 * @param maxRam the largest ram cap, or {@code null} for the worker's memory budget (the default)
 * @param maxRetries the most retries a task may have (default 5)
 * @param overCeiling what a request above the ceiling gets (default {@link OverCeiling#REJECT})
 * @param maxSubTasks how many sub-tasks one task tree may start in all, at every depth (default
 *     {@value SandboxConfig#DEFAULT_MAX_SUB_TASKS}, as locally): a budget carried down the tree
 *     (see {@code docs/security.md})
 * @param maxSubTaskDepth how deep sub-tasks may nest, a root's own sub-tasks being at depth 1
 *     (default {@value SandboxConfig#DEFAULT_MAX_SUB_TASK_DEPTH}; 0: no sub-tasks)
 */
public record WorkerPolicy(
    List<String> envVariables,
    FileGrant filesRoot,
    List<String> allowedHosts,
    Duration defaultTimeout,
    Duration maxTimeout,
    Compute maxCompute,
    ByteSize maxRam,
    int maxRetries,
    OverCeiling overCeiling,
    int maxSubTasks,
    int maxSubTaskDepth) {

  /** The prefix of the environment variables that set the policy: {@code CAPSULE_POLICY_}. */
  public static final String ENV_PREFIX = "CAPSULE_POLICY_";

  /** Names a task can never be given: the worker's own settings and credentials. */
  public static final String RESERVED_PREFIX = "CAPSULE_";

  /** The defaults. */
  public static final WorkerPolicy DEFAULT = builder().build();

  /** Checks combinations and copies the lists. */
  public WorkerPolicy {
    envVariables = List.copyOf(envVariables);
    allowedHosts = List.copyOf(allowedHosts);
    Objects.requireNonNull(defaultTimeout, "defaultTimeout");
    Objects.requireNonNull(maxTimeout, "maxTimeout");
    Objects.requireNonNull(overCeiling, "overCeiling");
    for (String name : envVariables) {
      refuseReserved(name);
    }
    if (defaultTimeout.compareTo(maxTimeout) > 0) {
      throw new IllegalArgumentException(
          "the default timeout "
              + Durations.format(defaultTimeout)
              + " exceeds the maximum timeout "
              + Durations.format(maxTimeout));
    }
    if (maxRetries < 0) {
      throw new IllegalArgumentException("max retries must not be negative");
    }
    if (maxSubTasks < 0 || maxSubTaskDepth < 0) {
      throw new IllegalArgumentException("sub-task limits must not be negative");
    }
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The ceiling the sandbox enforces for this worker.
   *
   * @param levels the levels the worker consumes (the default compute ceiling is the highest)
   * @param memoryBudget the worker's memory budget (the default ram ceiling)
   */
  public OperatorCeiling ceiling(Collection<ComputeLevel> levels, ByteSize memoryBudget) {
    Compute compute = maxCompute != null ? maxCompute : Compute.of(highest(levels));
    ByteSize ram = maxRam != null ? maxRam : memoryBudget;
    List<FileGrant> files = filesRoot == null ? List.of() : List.of(filesRoot);
    return new OperatorCeiling(
        compute, ram, maxTimeout, maxRetries, files, allowedHosts, envVariables, overCeiling);
  }

  /**
   * The variables a task may see, taken from {@code environment}: only the allowlisted ones, so
   * that the sandbox never holds any other (the worker's Kafka credentials among them).
   */
  public Map<String, String> taskEnvironment(Map<String, String> environment) {
    Map<String, String> allowed = new LinkedHashMap<>();
    for (String name : envVariables) {
      String value = environment.get(name);
      if (value != null) {
        allowed.put(name, value);
      }
    }
    return Map.copyOf(allowed);
  }

  /**
   * Refuses an allowlisted variable whose value is part of a secret Kafka property of the worker (a
   * password, a JAAS config, a key): the worker's credentials are never a task's.
   *
   * @throws IllegalArgumentException naming the variable and the property
   */
  public void refuseCredentials(Map<String, String> environment, Map<String, String> kafka) {
    for (String name : envVariables) {
      String value = environment.get(name);
      if (value == null || value.length() < 4) {
        continue;
      }
      kafka.forEach(
          (key, secret) -> {
            if (isSecretProperty(key) && secret.contains(value)) {
              throw new IllegalArgumentException(
                  "task variable "
                      + name
                      + " holds the worker's Kafka credential "
                      + key
                      + "; a task may never be given it");
            }
          });
    }
  }

  private static boolean isSecretProperty(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password")
        || k.contains("jaas")
        || k.contains("secret")
        || k.contains("key")
        || k.contains("token");
  }

  private static void refuseReserved(String name) {
    if (name.toUpperCase(Locale.ROOT).startsWith(RESERVED_PREFIX)) {
      throw new IllegalArgumentException(
          "task variable "
              + name
              + " is refused: "
              + RESERVED_PREFIX
              + "* variables are the worker's own settings and credentials");
    }
  }

  private static ComputeLevel highest(Collection<ComputeLevel> levels) {
    return levels.stream()
        .filter(l -> l != ComputeLevel.CUSTOM)
        .max(java.util.Comparator.comparingLong(ComputeLevel::fuel))
        .orElse(ComputeLevel.HIGH);
  }

  /** Builds a {@link WorkerPolicy}. */
  public static final class Builder {
    private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    private List<String> envVariables = List.of();
    private FileGrant filesRoot;
    private List<String> allowedHosts = List.of("*");
    private Duration defaultTimeout;
    private Duration maxTimeout = Duration.ofMinutes(15);
    private Compute maxCompute;
    private ByteSize maxRam;
    private int maxRetries = 5;
    private OverCeiling overCeiling = OverCeiling.REJECT;
    private int maxSubTasks = SandboxConfig.DEFAULT_MAX_SUB_TASKS;
    private int maxSubTaskDepth = SandboxConfig.DEFAULT_MAX_SUB_TASK_DEPTH;

    private Builder() {}

    /**
     * Reads the {@code CAPSULE_POLICY_*} variables that are set (for container manifests): {@code
     * ENV_VARIABLES}, {@code FILES_ROOT}, {@code ALLOWED_HOSTS}, {@code DEFAULT_TIMEOUT}, {@code
     * MAX_TIMEOUT}, {@code MAX_COMPUTE}, {@code MAX_RAM}, {@code MAX_RETRIES}, {@code
     * OVER_CEILING}, {@code MAX_SUB_TASKS}, {@code MAX_SUB_TASK_DEPTH}. Flags applied afterwards
     * win.
     *
     * @throws IllegalArgumentException for an unknown {@code CAPSULE_POLICY_*} name or a bad value
     */
    public Builder withEnvironmentSettings(Map<String, String> env) {
      env.forEach(
          (name, value) -> {
            if (name.startsWith(ENV_PREFIX)) {
              set(name.substring(ENV_PREFIX.length()), value, name);
            }
          });
      return this;
    }

    private void set(String setting, String value, String source) {
      switch (setting) {
        case "ENV_VARIABLES" -> withEnvVariables(list(value));
        case "FILES_ROOT" -> withFilesRoot(value.isBlank() ? null : FileGrant.parse(value));
        case "ALLOWED_HOSTS" -> withAllowedHosts(list(value));
        case "DEFAULT_TIMEOUT" -> withDefaultTimeout(Durations.parse(value));
        case "MAX_TIMEOUT" -> withMaxTimeout(Durations.parse(value));
        case "MAX_COMPUTE" -> withMaxCompute(Compute.parse(value));
        case "MAX_RAM" -> withMaxRam(ByteSize.parse(value));
        case "MAX_RETRIES" -> withMaxRetries(Integer.parseInt(value.strip()));
        case "OVER_CEILING" -> withOverCeiling(overCeiling(value));
        case "MAX_SUB_TASKS" -> withMaxSubTasks(Integer.parseInt(value.strip()));
        case "MAX_SUB_TASK_DEPTH" -> withMaxSubTaskDepth(Integer.parseInt(value.strip()));
        default -> throw new IllegalArgumentException("unknown policy variable " + source);
      }
    }

    /** Parses {@code reject} or {@code clamp} (any case). */
    public static OverCeiling overCeiling(String text) {
      try {
        return OverCeiling.valueOf(text.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("over-ceiling is reject or clamp, not '" + text + "'");
      }
    }

    /** Splits a comma-separated list, dropping blanks. */
    public static List<String> list(String text) {
      List<String> items = new ArrayList<>();
      for (String item : text.split(",")) {
        if (!item.isBlank()) {
          items.add(item.strip());
        }
      }
      return items;
    }

    /**
     * The variables a task may be given.
     *
     * @throws IllegalArgumentException for a {@code CAPSULE_*} name
     */
    public Builder withEnvVariables(List<String> names) {
      names.forEach(WorkerPolicy::refuseReserved);
      this.envVariables = List.copyOf(names);
      return this;
    }

    /**
     * The directory {@code allowed_files} may be granted under, with its mode ({@code DIR:ro} keeps
     * every grant read-only); {@code null} grants no files.
     *
     * @throws IllegalArgumentException when it is not an existing directory
     */
    public Builder withFilesRoot(FileGrant root) {
      if (root == null) {
        this.filesRoot = null;
        return this;
      }
      Path dir = Path.of(root.path()).toAbsolutePath().normalize();
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException("files root " + dir + " is not a directory");
      }
      this.filesRoot = new FileGrant(dir.toString(), null, root.readOnly());
      return this;
    }

    /** The hosts a task may call. */
    public Builder withAllowedHosts(List<String> hosts) {
      this.allowedHosts = List.copyOf(hosts);
      return this;
    }

    /** The timeout of a task that names none. */
    public Builder withDefaultTimeout(Duration timeout) {
      this.defaultTimeout = positive(timeout, "default timeout");
      return this;
    }

    /** The longest timeout a task may have. */
    public Builder withMaxTimeout(Duration timeout) {
      this.maxTimeout = positive(timeout, "max timeout");
      return this;
    }

    /** The largest fuel budget ({@code null}: the highest level consumed). */
    public Builder withMaxCompute(Compute compute) {
      this.maxCompute = compute;
      return this;
    }

    /** The largest ram cap ({@code null}: the memory budget). */
    public Builder withMaxRam(ByteSize ram) {
      this.maxRam = ram;
      return this;
    }

    /** The most retries a task may have. */
    public Builder withMaxRetries(int retries) {
      if (retries < 0) {
        throw new IllegalArgumentException("max retries must not be negative");
      }
      this.maxRetries = retries;
      return this;
    }

    /** What a request above the ceiling gets. */
    public Builder withOverCeiling(OverCeiling over) {
      this.overCeiling = Objects.requireNonNull(over, "over ceiling");
      return this;
    }

    /**
     * How many sub-tasks one task tree may start in all.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder withMaxSubTasks(int count) {
      this.maxSubTasks = notNegative(count, "max sub-tasks");
      return this;
    }

    /**
     * How deep sub-tasks may nest (0: none at all).
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder withMaxSubTaskDepth(int depth) {
      this.maxSubTaskDepth = notNegative(depth, "max sub-task depth");
      return this;
    }

    private static int notNegative(int value, String what) {
      if (value < 0) {
        throw new IllegalArgumentException(what + " must not be negative");
      }
      return value;
    }

    /** Checks combinations and builds. */
    public WorkerPolicy build() {
      Duration fallback = DEFAULT_TIMEOUT.compareTo(maxTimeout) <= 0 ? DEFAULT_TIMEOUT : maxTimeout;
      return new WorkerPolicy(
          envVariables,
          filesRoot,
          allowedHosts,
          defaultTimeout != null ? defaultTimeout : fallback,
          maxTimeout,
          maxCompute,
          maxRam,
          maxRetries,
          overCeiling,
          maxSubTasks,
          maxSubTaskDepth);
    }

    private static Duration positive(Duration value, String what) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be positive");
      }
      return value;
    }
  }
}
