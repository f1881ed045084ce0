package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;
import java.util.List;

/**
 * A task's options, capsule-run's names. Every field may be absent ({@code null}): options from
 * several places are layered with {@link #over(TaskOptions)} — CLI flag over task option over
 * {@code capsule.toml} default — and what is still absent takes the built-in default where it is
 * used.
 *
 * @param name the task name; {@code main} is the entry point
 * @param compute fuel budget (default {@code MEDIUM})
 * @param ram cap on linear memory (default: the sandbox's cap)
 * @param timeout wall-clock limit (default: none locally, the worker's in the fleet)
 * @param maxRetries further attempts after a failed one (default 0)
 * @param allowedFiles directories the task may use (default none)
 * @param allowedHosts hosts the task may call (default none)
 * @param envVariables host variables the task sees (default none)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskOptions(
    @JsonProperty("name") String name,
    @JsonProperty("compute") Compute compute,
    @JsonProperty("ram") ByteSize ram,
    @JsonProperty("timeout")
        @JsonSerialize(using = DurationJson.Writer.class)
        @JsonDeserialize(using = DurationJson.Reader.class)
        Duration timeout,
    @JsonProperty("max_retries") Integer maxRetries,
    @JsonProperty("allowed_files") List<FileGrant> allowedFiles,
    @JsonProperty("allowed_hosts") List<String> allowedHosts,
    @JsonProperty("env_variables") List<String> envVariables) {

  /** No options set. */
  public static final TaskOptions NONE =
      new TaskOptions(null, null, null, null, null, null, null, null);

  /** The largest {@code max_retries} accepted. */
  public static final int MAX_RETRIES_LIMIT = 100;

  /** Validates what is set and copies the lists. */
  public TaskOptions {
    if (maxRetries != null && (maxRetries < 0 || maxRetries > MAX_RETRIES_LIMIT)) {
      throw InvalidRequestException.forField(
          "max_retries", "must be between 0 and " + MAX_RETRIES_LIMIT + ", not " + maxRetries);
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw InvalidRequestException.forField("timeout", "must be positive");
    }
    allowedFiles = allowedFiles == null ? null : List.copyOf(allowedFiles);
    allowedHosts = allowedHosts == null ? null : List.copyOf(allowedHosts);
    envVariables = envVariables == null ? null : List.copyOf(envVariables);
  }

  /** Starts a builder with nothing set. */
  public static Builder builder() {
    return new Builder(NONE);
  }

  /** Starts a builder from these options. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Layers these options over {@code lower}: each field set here wins, the rest come from {@code
   * lower}.
   */
  public TaskOptions over(TaskOptions lower) {
    return new TaskOptions(
        pick(name, lower.name),
        pick(compute, lower.compute),
        pick(ram, lower.ram),
        pick(timeout, lower.timeout),
        pick(maxRetries, lower.maxRetries),
        pick(allowedFiles, lower.allowedFiles),
        pick(allowedHosts, lower.allowedHosts),
        pick(envVariables, lower.envVariables));
  }

  private static <T> T pick(T high, T low) {
    return high != null ? high : low;
  }

  /** The fuel budget, {@code MEDIUM} when unset. */
  public Compute computeOrDefault() {
    return compute != null ? compute : Compute.DEFAULT;
  }

  /** The retry count, 0 when unset. */
  public int maxRetriesOrDefault() {
    return maxRetries != null ? maxRetries : 0;
  }

  /** The task name, {@code main} when unset. */
  public String nameOrDefault() {
    return name != null ? name : "main";
  }

  /** The permissions these options grant (none for unset lists). */
  public Permissions permissions() {
    return new Permissions(allowedFiles, allowedHosts, envVariables);
  }

  /** Builds {@link TaskOptions} field by field; each setter validates at once. */
  public static final class Builder {
    private String name;
    private Compute compute;
    private ByteSize ram;
    private Duration timeout;
    private Integer maxRetries;
    private List<FileGrant> allowedFiles;
    private List<String> allowedHosts;
    private List<String> envVariables;

    private Builder(TaskOptions from) {
      name = from.name;
      compute = from.compute;
      ram = from.ram;
      timeout = from.timeout;
      maxRetries = from.maxRetries;
      allowedFiles = from.allowedFiles;
      allowedHosts = from.allowedHosts;
      envVariables = from.envVariables;
    }

    /** Sets the task name. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /** Sets the fuel budget. */
    public Builder compute(Compute compute) {
      this.compute = compute;
      return this;
    }

    /** Sets the memory cap. */
    public Builder ram(ByteSize ram) {
      this.ram = ram;
      return this;
    }

    /** Sets the wall-clock limit. */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /** Sets the number of further attempts. */
    public Builder maxRetries(Integer maxRetries) {
      this.maxRetries = maxRetries;
      return this;
    }

    /** Sets the allowed directories. */
    public Builder allowedFiles(List<FileGrant> allowedFiles) {
      this.allowedFiles = allowedFiles;
      return this;
    }

    /** Sets the allowed hosts. */
    public Builder allowedHosts(List<String> allowedHosts) {
      this.allowedHosts = allowedHosts;
      return this;
    }

    /** Sets the visible environment variable names. */
    public Builder envVariables(List<String> envVariables) {
      this.envVariables = envVariables;
      return this;
    }

    /** Validates and builds. */
    public TaskOptions build() {
      return new TaskOptions(
          name, compute, ram, timeout, maxRetries, allowedFiles, allowedHosts, envVariables);
    }
  }
}
