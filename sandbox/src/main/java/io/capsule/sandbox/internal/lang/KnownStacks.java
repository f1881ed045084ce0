package io.capsule.sandbox.internal.lang;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The functions on CPython's stack at its snapshot point as earlier preparations found them, by the
 * key of everything that decides that stack (interpreter, SDK, argv, environment, preopens): the
 * guess Asyncify instruments first, so a pinned interpreter is rewritten and run to its snapshot
 * point once instead of probed first. Never trusted: the snapshot run reads the stack and keeps its
 * snapshot only when it is exactly this one (else it rewrites for the stack it found and runs
 * again). A key not listed (an SDK changed since) costs one more run, nothing else; {@code
 * KnownStacksTest} says which line to add.
 */
public final class KnownStacks {
  private static final String RESOURCE = "/io/capsule/sandbox/cpython-stacks.properties";
  private static final Properties STACKS = load();

  private KnownStacks() {}

  /** The stack known for {@code key}, or {@code null}. */
  public static Set<Integer> of(String key) {
    String list = STACKS.getProperty(key);
    if (list == null || list.isBlank()) {
      return null;
    }
    return Arrays.stream(list.split(","))
        .map(String::trim)
        .map(Integer::valueOf)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** {@code stack} as a line of the resource, {@code key=1,2,3}. */
  public static String line(String key, Set<Integer> stack) {
    return key
        + "="
        + new TreeSet<>(stack).stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  private static Properties load() {
    var properties = new Properties();
    try (InputStream in = KnownStacks.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return properties;
  }
}
