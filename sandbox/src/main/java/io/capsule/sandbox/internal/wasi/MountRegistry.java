package io.capsule.sandbox.internal.wasi;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * What every attempt running in this JVM has mounted, and the one lock its guarded file calls run
 * under.
 *
 * <p>Concurrent attempts may share host directories (a worker's parallel tasks, a task and its
 * sub-tasks). Chicory opens files by path, so a path one guest's call has checked could be changed
 * by another guest's rename before the open. Every guarded call that checks a path and then uses it
 * does both while holding {@link #locked this lock}, so no other guest's call in the JVM falls
 * between them. The calls are short (one lookup and one system call; opens of FIFOs and devices,
 * which could block, are refused before the lock is taken for long).
 *
 * <p>The roots of the mounts of every running attempt are registered here (counted, as attempts may
 * mount the same directory), so that no guest renames or removes a directory that is, or contains,
 * a mount root of any of them: a mount's directory stays where it was found for the whole attempt.
 */
final class MountRegistry {
  private static final Object LOCK = new Object();

  /** Real root path → how many running attempts mount it. Guarded by {@link #LOCK}. */
  private static final Map<Path, Integer> ROOTS = new HashMap<>();

  private MountRegistry() {}

  /** Runs a guarded call under the lock. */
  static int locked(IntSupplier call) {
    synchronized (LOCK) {
      return call.getAsInt();
    }
  }

  /**
   * Resolves an attempt's mounts and registers their roots in one step, under the lock, so no guest
   * moves a directory between its resolution and its registration.
   */
  static List<MountPoint> register(Supplier<List<MountPoint>> resolve) {
    synchronized (LOCK) {
      List<MountPoint> mountPoints = resolve.get();
      mountPoints.forEach(m -> ROOTS.merge(m.realRoot(), 1, Integer::sum));
      return mountPoints;
    }
  }

  /** Releases roots {@link #register registered} by an attempt that has ended. */
  static void unregister(List<MountPoint> mountPoints) {
    synchronized (LOCK) {
      mountPoints.forEach(
          m -> ROOTS.computeIfPresent(m.realRoot(), (root, n) -> n == 1 ? null : n - 1));
    }
  }

  /** Whether {@code realPath} is the root of a running attempt's mount or an ancestor of one. */
  static boolean holdsMountRoot(Path realPath) {
    synchronized (LOCK) {
      return ROOTS.keySet().stream().anyMatch(root -> root.startsWith(realPath));
    }
  }
}
