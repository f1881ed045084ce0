package io.capsule.sandbox.internal.wasi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Chooses the environment variables a guest sees: only allowlisted names, with their values from
 * the host environment or the working directory's {@code .env} file.
 */
public final class GuestEnvironment {
  private GuestEnvironment() {}

  /**
   * Keeps only the allowlisted names that the source defines.
   *
   * @param allowlist the names the task may see ({@code env_variables})
   * @param source every variable available to the task
   * @return the visible variables, in allowlist order
   */
  public static Map<String, String> select(
      Collection<String> allowlist, Map<String, String> source) {
    Map<String, String> visible = new LinkedHashMap<>();
    for (String name : allowlist) {
      String value = source.get(name);
      if (value != null) {
        visible.put(name, value);
      }
    }
    return Collections.unmodifiableMap(visible);
  }

  /**
   * The variables available to a task: the working directory's {@code .env} overlaid by the host
   * environment. As with dotenv tools, a variable already set in the host environment is not
   * overridden by {@code .env}.
   *
   * @throws IOException when {@code .env} exists but cannot be read
   */
  public static Map<String, String> sources(Map<String, String> hostEnvironment, Path workingDir)
      throws IOException {
    Map<String, String> merged = new LinkedHashMap<>(DotEnv.load(workingDir));
    merged.putAll(hostEnvironment);
    return merged;
  }

  /**
   * {@link #select} over {@link #sources}: what a task run from {@code workingDir} sees.
   *
   * @throws IOException when {@code .env} exists but cannot be read
   */
  public static Map<String, String> forTask(
      Collection<String> allowlist, Map<String, String> hostEnvironment, Path workingDir)
      throws IOException {
    return select(allowlist, sources(hostEnvironment, workingDir));
  }
}
