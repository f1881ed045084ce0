package io.capsule.cli;

import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.OperatorCeiling.OverCeiling;
import io.capsule.protocol.TaskOptions;
import java.util.List;

/**
 * What the person running {@code capsule run}/{@code exec} grants: the task option flags over the
 * {@code capsule.toml} {@code [tasks]} defaults, as an {@link OperatorCeiling} over every task of
 * the tree (the file's own declarations, sub-tasks' included, can narrow it, never widen it).
 *
 * <ul>
 *   <li>{@code --compute}, {@code --ram}, {@code --timeout} (or their defaults) are maxima.
 *   <li>Permissions are all or nothing: once any of {@code --env}, {@code --allow-host}, {@code
 *       --allow-file}/{@code --mount} (or a default of one) is given, a permission not given is
 *       granted to no task, as with Deno's flags.
 *   <li>With none of these given, nothing is limited: the file's declared options apply, as in
 *       capsule-run.
 * </ul>
 */
final class OperatorGrant {
  private OperatorGrant() {}

  /**
   * The ceiling of a local run.
   *
   * @param flags the task option flags given on the command line
   * @param defaults the {@code capsule.toml} {@code [tasks]} defaults
   * @param mode what happens to a declared option above the grant
   */
  static OperatorCeiling ceiling(TaskOptions flags, TaskOptions defaults, OverCeiling mode) {
    TaskOptions grant = flags.over(defaults);
    boolean permissions =
        grant.allowedFiles() != null
            || grant.allowedHosts() != null
            || grant.envVariables() != null;
    return new OperatorCeiling(
        grant.compute(),
        grant.ram(),
        grant.timeout(),
        null,
        permissions ? orNone(grant.allowedFiles()) : null,
        permissions ? orNone(grant.allowedHosts()) : null,
        permissions ? orNone(grant.envVariables()) : null,
        mode);
  }

  private static <T> List<T> orNone(List<T> list) {
    return list == null ? List.of() : list;
  }

  /** The ceiling's axes that are limited, for {@code --verbose}; empty when none is. */
  static String describe(OperatorCeiling ceiling) {
    if (ceiling.isUnlimited()) {
      return "";
    }
    StringBuilder text = new StringBuilder();
    append(text, "compute", ceiling.maxCompute());
    append(text, "ram", ceiling.maxRam());
    append(text, "timeout", ceiling.maxTimeout());
    append(text, "allowed_files", ceiling.allowedFiles());
    append(text, "allowed_hosts", ceiling.allowedHosts());
    append(text, "env_variables", ceiling.envVariables());
    return text.append(" (over ceiling: ").append(ceiling.overCeiling()).append(')').toString();
  }

  private static void append(StringBuilder text, String name, Object value) {
    if (value != null) {
      text.append(' ').append(name).append('=').append(show(value));
    }
  }

  private static String show(Object value) {
    if (value == null) {
      return "none";
    }
    if (value instanceof java.time.Duration d) {
      return io.capsule.protocol.Durations.format(d);
    }
    if (value instanceof List<?> list) {
      return list.stream().map(OperatorGrant::showItem).toList().toString();
    }
    return value.toString();
  }

  private static String showItem(Object item) {
    return item instanceof io.capsule.protocol.FileGrant g ? g.path() + ":" + g.mode() : "" + item;
  }
}
