package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

  /**
   * The ceiling a task's own grant sets for the sub-tasks it starts in the fleet: each axis at most
   * what {@code grant} gives, an absent permission list meaning none, and {@link
   * OverCeiling#CLAMP}, so that {@link #narrow(TaskOptions, Path)} gives a sub-task the
   * intersection of its declared options and its parent's grant.
   *
   * @param grant the options the parent runs with (already narrowed by the operator's ceiling), its
   *     {@code ram} the cap it really has (a {@code null} ram leaves ram unbounded here)
   */
  public static OperatorCeiling grantedBy(TaskOptions grant) {
    return new OperatorCeiling(
        grant.computeOrDefault(),
        grant.ram(),
        grant.timeout(),
        grant.maxRetriesOrDefault(),
        Objects.requireNonNullElse(grant.allowedFiles(), List.of()),
        Objects.requireNonNullElse(grant.allowedHosts(), List.of()),
        Objects.requireNonNullElse(grant.envVariables(), List.of()),
        OverCeiling.CLAMP);
  }

  /**
   * What narrowing changed, option by option, as {@code " env_variables [A, B] -> [A] allowed_hosts
   * [*] -> []"}: names and limits only, never a variable's value. Empty when the task got what it
   * asked for.
   *
   * @param asked the declared options
   * @param got the options after {@link #narrow(TaskOptions, Path)}
   */
  public static String narrowing(TaskOptions asked, TaskOptions got) {
    StringBuilder text = new StringBuilder();
    differ(text, "compute", asked.computeOrDefault(), got.computeOrDefault());
    differ(text, "ram", asked.ram(), got.ram());
    differ(text, "timeout", show(asked.timeout()), show(got.timeout()));
    differ(text, "max_retries", asked.maxRetries(), got.maxRetries());
    differ(text, "allowed_files", files(asked.allowedFiles()), files(got.allowedFiles()));
    differ(text, "allowed_hosts", asked.allowedHosts(), got.allowedHosts());
    differ(text, "env_variables", asked.envVariables(), got.envVariables());
    return text.toString();
  }

  private static void differ(StringBuilder text, String name, Object asked, Object got) {
    if (!Objects.equals(asked, got)) {
      text.append(' ').append(name).append(' ').append(orNone(asked));
      text.append(" -> ").append(orNone(got));
    }
  }

  private static Object orNone(Object value) {
    return value == null ? "none" : value;
  }

  private static String show(Duration duration) {
    return duration == null ? null : Durations.format(duration);
  }

  private static List<String> files(List<FileGrant> grants) {
    return grants == null ? null : grants.stream().map(g -> g.path() + ":" + g.mode()).toList();
  }

  /**
   * The options a task runs with, given the options it declared (already layered: flag over task
   * option over {@code capsule.toml} default), relative {@code allowed_files} resolved against the
   * working directory. See {@link #narrow(TaskOptions, Path)}.
   */
  public TaskOptions narrow(TaskOptions declared) {
    return narrow(declared, Path.of(""));
  }

  /**
   * The options a task runs with: its declared options bounded by this ceiling, the one rule for
   * every task and sub-task of a tree, locally and in the fleet. Per axis:
   *
   * <ul>
   *   <li>{@code compute}, {@code ram}, {@code timeout}, {@code max_retries}: at most the maximum;
   *       a task naming no timeout gets {@code max_timeout}, one naming no compute gets the smaller
   *       of {@code MEDIUM} and {@code max_compute}. Above the maximum: {@link
   *       InvalidRequestException} naming the option and the limit, or lowered to it ({@link
   *       OverCeiling#CLAMP}).
   *   <li>{@code allowed_files}: each directory must lie inside a ceiling directory (normalised
   *       against {@code filesRoot}; real paths where they exist), read-write only inside a
   *       read-write one. Otherwise {@link PermissionDeniedException}, or (CLAMP) made read-only,
   *       or replaced by the ceiling directories inside it.
   *   <li>{@code allowed_hosts}: each pattern must be covered by a ceiling pattern ({@code *}
   *       covers all; {@code example.com} itself and its subdomains; {@code *.example.com} its
   *       subdomains). Otherwise {@link PermissionDeniedException}, or (CLAMP) replaced by the
   *       ceiling patterns it covers: a declared {@code *} under {@code api.x.com} becomes {@code
   *       api.x.com}.
   *   <li>{@code env_variables}: each name must be in the ceiling's list. Otherwise {@link
   *       PermissionDeniedException}, or (CLAMP) the intersection.
   * </ul>
   *
   * An axis the ceiling leaves {@code null} passes the declared option through. Narrowing twice
   * gives the same options as narrowing once.
   *
   * @param declared the task's options
   * @param filesRoot the directory relative {@code allowed_files} resolve against
   * @throws PermissionDeniedException for a permission above the ceiling in REJECT mode
   * @throws InvalidRequestException for a limit above the ceiling in REJECT mode
   */
  public TaskOptions narrow(TaskOptions declared, Path filesRoot) {
    boolean clamp = overCeiling == OverCeiling.CLAMP;
    return declared.toBuilder()
        .compute(narrowCompute(declared.compute(), clamp))
        .ram(narrowRam(declared.ram(), clamp))
        .timeout(narrowTimeout(declared.timeout(), clamp))
        .maxRetries(narrowRetries(declared.maxRetries(), clamp))
        .allowedFiles(narrowFiles(declared.allowedFiles(), filesRoot, clamp))
        .allowedHosts(narrowHosts(declared.allowedHosts(), clamp))
        .envVariables(narrowEnv(declared.envVariables(), clamp))
        .build();
  }

  private Compute narrowCompute(Compute declared, boolean clamp) {
    if (maxCompute == null) {
      return declared;
    }
    if (declared == null) {
      return Compute.DEFAULT.fuel() > maxCompute.fuel() ? maxCompute : null;
    }
    if (declared.fuel() <= maxCompute.fuel()) {
      return declared;
    }
    return over(clamp, maxCompute, "compute " + declared, "max_compute " + maxCompute);
  }

  private ByteSize narrowRam(ByteSize declared, boolean clamp) {
    if (maxRam == null || declared == null || declared.bytes() <= maxRam.bytes()) {
      return declared;
    }
    return over(clamp, maxRam, "ram " + declared, "max_ram " + maxRam);
  }

  private Duration narrowTimeout(Duration declared, boolean clamp) {
    if (maxTimeout == null) {
      return declared;
    }
    if (declared == null) {
      return maxTimeout;
    }
    if (declared.compareTo(maxTimeout) <= 0) {
      return declared;
    }
    return over(
        clamp,
        maxTimeout,
        "timeout " + Durations.format(declared),
        "max_timeout " + Durations.format(maxTimeout));
  }

  private Integer narrowRetries(Integer declared, boolean clamp) {
    if (maxRetries == null || declared == null || declared <= maxRetries) {
      return declared;
    }
    return over(
        clamp, maxRetries, "max_retries " + declared, "the operator's max_retries " + maxRetries);
  }

  private static <T> T over(boolean clamp, T limit, String asked, String ceiling) {
    if (clamp) {
      return limit;
    }
    throw new InvalidRequestException(asked + " exceeds " + ceiling + " (over_ceiling: reject)");
  }

  private List<FileGrant> narrowFiles(List<FileGrant> declared, Path filesRoot, boolean clamp) {
    if (allowedFiles == null || declared == null || declared.isEmpty()) {
      return declared;
    }
    return new FileCeiling(allowedFiles, filesRoot).narrow(declared, clamp);
  }

  private List<String> narrowHosts(List<String> declared, boolean clamp) {
    if (allowedHosts == null || declared == null || declared.isEmpty()) {
      return declared;
    }
    return new HostCeiling(allowedHosts).narrow(declared, clamp);
  }

  private List<String> narrowEnv(List<String> declared, boolean clamp) {
    if (envVariables == null || declared == null || declared.isEmpty()) {
      return declared;
    }
    List<String> kept = new ArrayList<>();
    for (String name : declared) {
      if (envVariables.contains(name)) {
        kept.add(name);
      } else if (!clamp) {
        throw new PermissionDeniedException(
            "env_variables '"
                + name
                + "' is not among the operator's env_variables "
                + envVariables
                + " (over_ceiling: reject)");
      }
    }
    return kept;
  }

  /**
   * This ceiling with another over-ceiling mode.
   *
   * @param mode what happens to a declared option above the ceiling
   */
  public OperatorCeiling withOverCeiling(OverCeiling mode) {
    return new OperatorCeiling(
        maxCompute, maxRam, maxTimeout, maxRetries, allowedFiles, allowedHosts, envVariables, mode);
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
