package io.capsule.sandbox;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.OperatorCeiling;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Sandbox-wide settings, immutable. Build with {@link #builder()}; every setter validates at once.
 *
 * @param executionMode compiled (default) or interpreted
 * @param defaultRam the memory cap of a task that names none (default 256MB); never unbounded
 * @param maxRam the largest cap a task may ask for (default 4GB, WebAssembly's 32-bit limit)
 * @param filesRoot the directory relative {@code allowed_files} paths resolve against, and that
 *     they may never leave (default: the working directory)
 * @param environment the host variables an {@code env_variables} allowlist picks from (default: the
 *     process environment)
 * @param cacheDir where compiled modules are kept across processes, or {@code null} for no disk
 *     cache (default: system property {@code capsule.cache.dir}, else {@code $CAPSULE_CACHE_DIR},
 *     else {@code ~/.cache/capsule})
 * @param maxStdoutBytes stdout kept per attempt (default 1 MiB; the head is kept)
 * @param maxStderrBytes stderr kept per attempt (default 64 KiB; the tail is kept)
 * @param fuelChunk fuel handed to the guest between host checks (default 100,000): smaller stops
 *     interpreted loops sooner after a timeout, larger costs fewer host calls
 * @param retryBackoff delay before the first retry; doubles each time (default 200ms)
 * @param maxRetryBackoff the largest delay between retries (default 10s)
 * @param stopGrace how long a timed-out attempt may take to unwind before it is abandoned (default
 *     2s)
 * @param preparationTimeout the longest a module's preparation (validation, fuel instrumentation,
 *     compilation) may take when the task's own timeout is longer or unset (default {@link
 *     #DEFAULT_PREPARATION_TIMEOUT}, 60s); past it the task ends {@code invalid_module} naming the
 *     stage. Capsule's own interpreters are not bounded by it
 * @param minPreparationTime the least time preparation gets when the task's timeout is shorter
 *     (default {@link #DEFAULT_MIN_PREPARATION_TIME}, 10s): compiling a normal module on a cold JVM
 *     takes seconds, which must not turn {@code --timeout 1s} into {@code invalid_module}, and a
 *     module prepared once is cached, so a short floor would make a task's outcome depend on the
 *     cache; zero counts preparation against the task's timeout alone
 * @param http limits of the {@code capsule.http_request} host function (default {@link
 *     HttpConfig#defaults()})
 * @param ceiling what the operator grants every task of a tree (default {@link
 *     OperatorCeiling#NONE}: the declared options apply)
 * @param maxSubTasks how many sub-tasks one root attempt's tree may start in all, at every depth
 *     (default {@value #DEFAULT_MAX_SUB_TASKS}); one more fails the task that asked with {@code
 *     invalid_request}
 * @param maxSubTaskDepth how deep sub-tasks may nest: the root's own sub-tasks are at depth 1
 *     (default {@value #DEFAULT_MAX_SUB_TASK_DEPTH}); a deeper one fails the task that asked with
 *     {@code invalid_request}
 * @param maxConcurrentPreparations how many untrusted modules are prepared at once (default: the
 *     number of processors). Chicory's parser and compiler cannot be interrupted, so a preparation
 *     whose budget ran out runs on to its next stage and keeps its slot until it ends; a new one
 *     waits for a slot within its own budget. This bounds the threads hostile modules can keep busy
 */
public record SandboxConfig(
    ExecutionMode executionMode,
    ByteSize defaultRam,
    ByteSize maxRam,
    Path filesRoot,
    Map<String, String> environment,
    Path cacheDir,
    int maxStdoutBytes,
    int maxStderrBytes,
    long fuelChunk,
    Duration retryBackoff,
    Duration maxRetryBackoff,
    Duration stopGrace,
    Duration preparationTimeout,
    Duration minPreparationTime,
    HttpConfig http,
    OperatorCeiling ceiling,
    int maxSubTasks,
    int maxSubTaskDepth,
    int maxConcurrentPreparations) {

  /** The default {@link #maxSubTasks()}. */
  public static final int DEFAULT_MAX_SUB_TASKS = 64;

  /** The default {@link #maxSubTaskDepth()}. */
  public static final int DEFAULT_MAX_SUB_TASK_DEPTH = 4;

  /** The default {@link #preparationTimeout()}: 60 seconds. */
  public static final Duration DEFAULT_PREPARATION_TIMEOUT = Duration.ofSeconds(60);

  /** The default {@link #minPreparationTime()}: 10 seconds. */
  public static final Duration DEFAULT_MIN_PREPARATION_TIME = Duration.ofSeconds(10);

  /** Validates combinations and copies the environment. */
  public SandboxConfig {
    Objects.requireNonNull(executionMode, "executionMode");
    Objects.requireNonNull(defaultRam, "defaultRam");
    Objects.requireNonNull(maxRam, "maxRam");
    Objects.requireNonNull(filesRoot, "filesRoot");
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(ceiling, "ceiling");
    if (preparationTimeout.isNegative() || preparationTimeout.isZero()) {
      throw new IllegalArgumentException("preparationTimeout must be positive");
    }
    if (minPreparationTime.isNegative() || minPreparationTime.compareTo(preparationTimeout) > 0) {
      throw new IllegalArgumentException(
          "minPreparationTime must be between zero and preparationTimeout");
    }
    environment = Map.copyOf(environment);
    if (defaultRam.bytes() > maxRam.bytes()) {
      throw new IllegalArgumentException("defaultRam exceeds maxRam");
    }
    if (maxRetryBackoff.compareTo(retryBackoff) < 0) {
      throw new IllegalArgumentException("maxRetryBackoff is shorter than retryBackoff");
    }
    if (maxSubTasks < 0 || maxSubTaskDepth < 0) {
      throw new IllegalArgumentException("sub-task limits cannot be negative");
    }
    if (maxConcurrentPreparations < 1) {
      throw new IllegalArgumentException("maxConcurrentPreparations must be positive");
    }
  }

  /**
   * The process environment plus the variables of a {@code .env} file in {@code dir} (the process
   * environment wins where both name a variable), as capsule-run loads them for local runs.
   *
   * @throws java.io.UncheckedIOException when {@code .env} exists but cannot be read
   */
  public static Map<String, String> hostEnvironmentWithDotEnv(Path dir) {
    try {
      return io.capsule.sandbox.internal.wasi.GuestEnvironment.sources(System.getenv(), dir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Where downloads and interpreters go when a sandbox has no cache directory ({@code cacheDir} is
   * {@code null}): {@code capsule} under the system's temporary directory; else {@code cacheDir}.
   */
  public static Path cacheDirOrTemp(Path cacheDir) {
    return cacheDir != null ? cacheDir : Path.of(System.getProperty("java.io.tmpdir"), "capsule");
  }

  /**
   * The cache directory a sandbox uses unless told otherwise: system property {@code
   * capsule.cache.dir}, else {@code $CAPSULE_CACHE_DIR}, else {@code ~/.cache/capsule}.
   */
  public static Path defaultCacheDir() {
    String property = System.getProperty("capsule.cache.dir");
    if (property != null && !property.isBlank()) {
      return Path.of(property);
    }
    String env = System.getenv("CAPSULE_CACHE_DIR");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(System.getProperty("user.home"), ".cache", "capsule");
  }

  /**
   * These settings with another files root and environment (what a caller of a shared sandbox
   * brings, see {@link Sandbox#forCaller}).
   *
   * @throws IllegalArgumentException when {@code filesRoot} is not a directory
   */
  public SandboxConfig forCaller(Path filesRoot, Map<String, String> environment) {
    return forCaller(filesRoot, environment, ceiling);
  }

  /**
   * {@link #forCaller(Path, Map)} with the caller's operator grant as the ceiling (a local run's
   * flags and {@code capsule.toml}).
   *
   * @throws IllegalArgumentException when {@code filesRoot} is not a directory
   */
  public SandboxConfig forCaller(
      Path filesRoot, Map<String, String> environment, OperatorCeiling ceiling) {
    Objects.requireNonNull(ceiling, "ceiling");
    if (!java.nio.file.Files.isDirectory(filesRoot)) {
      throw new IllegalArgumentException("files root " + filesRoot + " is not a directory");
    }
    return new SandboxConfig(
        executionMode,
        defaultRam,
        maxRam,
        filesRoot.toAbsolutePath().normalize(),
        environment,
        cacheDir,
        maxStdoutBytes,
        maxStderrBytes,
        fuelChunk,
        retryBackoff,
        maxRetryBackoff,
        stopGrace,
        preparationTimeout,
        minPreparationTime,
        http,
        ceiling,
        maxSubTasks,
        maxSubTaskDepth,
        maxConcurrentPreparations);
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults. */
  public static SandboxConfig defaults() {
    return builder().build();
  }

  /** Builds a {@link SandboxConfig}. */
  public static final class Builder {
    private ExecutionMode executionMode = ExecutionMode.COMPILED;
    private ByteSize defaultRam = ByteSize.parse("256MB");
    private ByteSize maxRam = ByteSize.parse("4GB");
    private Path filesRoot = Path.of("").toAbsolutePath();
    private Map<String, String> environment = System.getenv();
    private Path cacheDir = defaultCacheDir();
    private int maxStdoutBytes = 1 << 20;
    private int maxStderrBytes = 64 << 10;
    private long fuelChunk = io.capsule.sandbox.internal.meter.FuelMeter.DEFAULT_CHUNK;
    private Duration retryBackoff = Duration.ofMillis(200);
    private Duration maxRetryBackoff = Duration.ofSeconds(10);
    private Duration stopGrace = Duration.ofSeconds(2);
    private Duration preparationTimeout = DEFAULT_PREPARATION_TIMEOUT;
    private Duration minPreparationTime = DEFAULT_MIN_PREPARATION_TIME;
    private HttpConfig http = HttpConfig.defaults();
    private OperatorCeiling ceiling = OperatorCeiling.NONE;
    private int maxSubTasks = DEFAULT_MAX_SUB_TASKS;
    private int maxSubTaskDepth = DEFAULT_MAX_SUB_TASK_DEPTH;
    private int maxConcurrentPreparations = Runtime.getRuntime().availableProcessors();

    private Builder() {}

    /** Compiled (default) or interpreted. */
    public Builder withExecutionMode(ExecutionMode mode) {
      this.executionMode = Objects.requireNonNull(mode);
      return this;
    }

    /** The cap of a task that names none. */
    public Builder withDefaultRam(ByteSize ram) {
      this.defaultRam = Objects.requireNonNull(ram);
      return this;
    }

    /** The largest cap a task may ask for. */
    public Builder withMaxRam(ByteSize ram) {
      this.maxRam = Objects.requireNonNull(ram);
      return this;
    }

    /** The root of {@code allowed_files}; must be an existing directory. */
    public Builder withFilesRoot(Path root) {
      if (!java.nio.file.Files.isDirectory(root)) {
        throw new IllegalArgumentException("files root " + root + " is not a directory");
      }
      this.filesRoot = root.toAbsolutePath().normalize();
      return this;
    }

    /** The variables an allowlist picks from. */
    public Builder withEnvironment(Map<String, String> environment) {
      this.environment = Map.copyOf(environment);
      return this;
    }

    /** The compile cache directory, or {@code null} for none. */
    public Builder withCacheDir(Path dir) {
      this.cacheDir = dir;
      return this;
    }

    /** Stdout bytes kept per attempt. */
    public Builder withMaxStdoutBytes(int bytes) {
      this.maxStdoutBytes = positive(bytes, "maxStdoutBytes");
      return this;
    }

    /** Stderr bytes kept per attempt. */
    public Builder withMaxStderrBytes(int bytes) {
      this.maxStderrBytes = positive(bytes, "maxStderrBytes");
      return this;
    }

    /** Fuel handed out between host checks. */
    public Builder withFuelChunk(long units) {
      if (units <= 0) {
        throw new IllegalArgumentException("fuelChunk must be positive");
      }
      this.fuelChunk = units;
      return this;
    }

    /** Delay before the first retry and the largest delay. */
    public Builder withRetryBackoff(Duration first, Duration max) {
      if (first.isNegative() || max.isNegative()) {
        throw new IllegalArgumentException("backoff cannot be negative");
      }
      this.retryBackoff = first;
      this.maxRetryBackoff = max;
      return this;
    }

    /** How long a timed-out attempt may take to unwind. */
    public Builder withStopGrace(Duration grace) {
      this.stopGrace = Objects.requireNonNull(grace);
      return this;
    }

    /**
     * The longest a module's preparation may take when the task's timeout is longer or unset
     * (default 60s).
     */
    public Builder withPreparationTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("preparationTimeout must be positive");
      }
      this.preparationTimeout = timeout;
      return this;
    }

    /**
     * The least time preparation gets when the task's timeout is shorter (default 10s; zero: the
     * task's timeout alone).
     */
    public Builder withMinPreparationTime(Duration time) {
      if (time.isNegative()) {
        throw new IllegalArgumentException("minPreparationTime must not be negative");
      }
      this.minPreparationTime = time;
      return this;
    }

    /** Limits of outbound HTTP. */
    public Builder withHttp(HttpConfig http) {
      this.http = Objects.requireNonNull(http);
      return this;
    }

    /**
     * What the operator grants every task of a tree: declared options may narrow it, never widen
     * it.
     */
    public Builder withCeiling(OperatorCeiling ceiling) {
      this.ceiling = Objects.requireNonNull(ceiling);
      return this;
    }

    /**
     * Per-tree caps on sub-tasks: how many one root attempt may start in all, and how deep they may
     * nest (0: no sub-tasks at all).
     */
    public Builder withSubTaskLimits(int maxTasks, int maxDepth) {
      if (maxTasks < 0 || maxDepth < 0) {
        throw new IllegalArgumentException("sub-task limits cannot be negative");
      }
      this.maxSubTasks = maxTasks;
      this.maxSubTaskDepth = maxDepth;
      return this;
    }

    /**
     * How many untrusted modules are prepared at once (default: the number of processors); an
     * abandoned preparation keeps its slot until it really ends.
     */
    public Builder withMaxConcurrentPreparations(int preparations) {
      this.maxConcurrentPreparations = positive(preparations, "maxConcurrentPreparations");
      return this;
    }

    /** Checks combinations and builds. */
    public SandboxConfig build() {
      return new SandboxConfig(
          executionMode,
          defaultRam,
          maxRam,
          filesRoot,
          environment,
          cacheDir,
          maxStdoutBytes,
          maxStderrBytes,
          fuelChunk,
          retryBackoff,
          maxRetryBackoff,
          stopGrace,
          preparationTimeout,
          minPreparationTime,
          http,
          ceiling,
          maxSubTasks,
          maxSubTaskDepth,
          maxConcurrentPreparations);
    }

    private static int positive(int value, String name) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive");
      }
      return value;
    }
  }
}
