package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What the operator grants: the upper bound of every task of a tree (a local run's CLI flags and
 * {@code capsule.toml}, a worker's policy). A task's declared options, and a request's limits and
 * permissions, can narrow it, never widen it; a sub-task gets the intersection of its declared
 * options and this ceiling. Each axis left {@code null} is not limited by the operator (the
 * declared option applies, as in capsule-run).
 *
 * @param maxCompute the largest fuel budget a task may have
 * @param maxRam the largest memory cap a task may have
 * @param maxTimeout the longest timeout a task may have; a task that names none gets this one
 * @param maxRetries the most retries a task may have
 * @param allowedFiles the directories (and modes) any task may be granted; a declared directory
 *     must lie inside one of them, read-write only inside a read-write one
 * @param allowedHosts the hosts any task may be granted; the only way a loopback, private,
 *     link-local or metadata host becomes reachable is being named here literally
 * @param envVariables the host variables any task may be given
 * @param overCeiling what happens to a declared option above the ceiling
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OperatorCeiling(
    @JsonProperty("max_compute") Compute maxCompute,
    @JsonProperty("max_ram") ByteSize maxRam,
    @JsonProperty("max_timeout")
        @JsonSerialize(using = DurationJson.Writer.class)
        @JsonDeserialize(using = DurationJson.Reader.class)
        Duration maxTimeout,
    @JsonProperty("max_retries") Integer maxRetries,
    @JsonProperty("allowed_files") List<FileGrant> allowedFiles,
    @JsonProperty("allowed_hosts") List<String> allowedHosts,
    @JsonProperty("env_variables") List<String> envVariables,
    @JsonProperty("over_ceiling") OverCeiling overCeiling) {

  /** No operator grant: every axis unlimited, the declared options apply. */
  public static final OperatorCeiling NONE =
      new OperatorCeiling(null, null, null, null, null, null, null, OverCeiling.REJECT);

  /** What happens to a declared option above the ceiling. */
  public enum OverCeiling {
    /** The task fails {@code permission_denied} (or {@code invalid_request}) naming the limit. */
    REJECT,
    /** The option is lowered to the ceiling (lists: narrowed to what the ceiling covers). */
    CLAMP
  }

  /** Copies the lists; a missing {@code overCeiling} means {@link OverCeiling#REJECT}. */
  public OperatorCeiling {
    overCeiling = Objects.requireNonNullElse(overCeiling, OverCeiling.REJECT);
    if (maxTimeout != null && (maxTimeout.isNegative() || maxTimeout.isZero())) {
      throw new InvalidRequestException("max_timeout must be positive");
    }
    if (maxRetries != null && maxRetries < 0) {
      throw new InvalidRequestException("max_retries must not be negative, not " + maxRetries);
    }
    allowedFiles = allowedFiles == null ? null : List.copyOf(allowedFiles);
    allowedHosts = allowedHosts == null ? null : List.copyOf(allowedHosts);
    envVariables = envVariables == null ? null : List.copyOf(envVariables);
  }

  /** Whether no axis is limited (a local run without operator grants). */
  public boolean isUnlimited() {
    return maxCompute == null
        && maxRam == null
        && maxTimeout == null
        && maxRetries == null
        && allowedFiles == null
        && allowedHosts == null
        && envVariables == null;
  }
}
