package io.capsule.worker.internal;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Compute;
import io.capsule.protocol.Durations;
import io.capsule.protocol.FileGrant;
import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.OperatorCeiling.OverCeiling;
import io.capsule.protocol.PermissionDeniedException;
import io.capsule.protocol.TaskOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * INTERIM: the worker's own check of a request against its policy's ceiling, for the axes a
 * producer could use against the worker (host variables, files, timeout, compute, ram, retries),
 * until the sandbox enforces {@link OperatorCeiling} for every task and sub-task itself. The
 * sandbox's rule replaces this class: delete it and its one call in {@code TaskExecution}. Hosts
 * are left to the sandbox.
 *
 * <p>REJECT: a declared option above the ceiling fails, {@code permission_denied} for variables and
 * files, {@code invalid_request} for limits, naming the option and the limit. CLAMP: limits are
 * lowered to the ceiling; variables the ceiling does not cover are dropped, and so are files when
 * it grants none (read-write grants under a read-only root become read-only).
 */
final class InterimCeiling {
  private InterimCeiling() {}

  /** The options the attempt runs with, or a typed failure naming what is above the ceiling. */
  static TaskOptions apply(TaskOptions declared, OperatorCeiling ceiling) {
    boolean clamp = ceiling.overCeiling() == OverCeiling.CLAMP;
    TaskOptions.Builder options = declared.toBuilder();
    options.timeout(timeout(declared.timeout(), ceiling.maxTimeout(), clamp));
    options.compute(compute(declared.compute(), ceiling.maxCompute(), clamp));
    options.ram(ram(declared.ram(), ceiling.maxRam(), clamp));
    options.maxRetries(retries(declared.maxRetries(), ceiling.maxRetries(), clamp));
    options.envVariables(variables(declared.envVariables(), ceiling.envVariables(), clamp));
    options.allowedFiles(files(declared.allowedFiles(), ceiling.allowedFiles(), clamp));
    return options.build();
  }

  private static Duration timeout(Duration declared, Duration max, boolean clamp) {
    if (declared == null || max == null || declared.compareTo(max) <= 0) {
      return declared;
    }
    return clamp ? max : over("timeout", Durations.format(declared), Durations.format(max));
  }

  /** A task that names no compute gets the default budget, or the ceiling's when that is lower. */
  private static Compute compute(Compute declared, Compute max, boolean clamp) {
    if (max == null) {
      return declared;
    }
    if (declared == null) {
      return Compute.DEFAULT.fuel() <= max.fuel() ? null : max;
    }
    if (declared.fuel() <= max.fuel()) {
      return declared;
    }
    return clamp ? max : over("compute", declared.fuel() + " fuel", max.fuel() + " fuel");
  }

  private static ByteSize ram(ByteSize declared, ByteSize max, boolean clamp) {
    if (declared == null || max == null || declared.bytes() <= max.bytes()) {
      return declared;
    }
    return clamp ? max : over("ram", declared.toString(), max.toString());
  }

  private static Integer retries(Integer declared, Integer max, boolean clamp) {
    if (declared == null || max == null || declared <= max) {
      return declared;
    }
    return clamp ? max : over("max_retries", declared.toString(), max.toString());
  }

  private static <T> T over(String option, String declared, String max) {
    throw new InvalidRequestException(
        option + " " + declared + " exceeds this worker's maximum of " + max + " (worker policy)");
  }

  private static List<String> variables(
      List<String> declared, List<String> allowed, boolean clamp) {
    if (declared == null || allowed == null) {
      return declared;
    }
    List<String> kept = new ArrayList<>();
    for (String name : declared) {
      if (allowed.contains(name)) {
        kept.add(name);
      } else if (!clamp) {
        throw new PermissionDeniedException(
            "env_variables: "
                + name
                + " is not in this worker's allowlist of task variables (worker policy)");
      }
    }
    return kept;
  }

  private static List<FileGrant> files(
      List<FileGrant> declared, List<FileGrant> roots, boolean clamp) {
    if (declared == null || declared.isEmpty() || roots == null) {
      return declared;
    }
    List<FileGrant> kept = new ArrayList<>();
    for (FileGrant grant : declared) {
      String refusal = refusal(grant, roots);
      if (refusal == null) {
        kept.add(grant);
      } else if (!clamp) {
        throw new PermissionDeniedException(
            "allowed_files '" + grant.path() + "': " + refusal + " (worker policy)");
      } else if (!roots.isEmpty()) {
        kept.add(new FileGrant(grant.path(), grant.guestPath(), true));
      }
    }
    return kept;
  }

  /** Why the grant is above the ceiling, or {@code null}; containment is the sandbox's check. */
  private static String refusal(FileGrant grant, List<FileGrant> roots) {
    if (roots.isEmpty()) {
      return "this worker grants no files (it has no files root)";
    }
    boolean writableRoot = roots.stream().anyMatch(r -> !r.readOnly());
    return grant.readOnly() || writableRoot ? null : "this worker grants files read-only";
  }
}
