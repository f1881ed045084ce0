package io.capsule.cli;

import io.capsule.protocol.Durations;
import io.capsule.sandbox.CacheSweeper;
import io.capsule.sandbox.SandboxConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's clock: once a second it decides whether the daemon should stop (idle, socket gone,
 * build replaced) or give back the heap a burst of tasks grew ({@link DaemonMemory#trim}); a minute
 * after the start it sweeps the cache.
 */
final class DaemonWatchdog implements AutoCloseable {
  private static final Duration SWEEP_DELAY = Duration.ofMinutes(1); // after the busy start

  /** How long after a burst of tasks the heap is trimmed. */
  private static final Duration TRIM_AFTER = Duration.ofSeconds(10);

  private final DaemonPaths paths;
  private final Duration idleTimeout;
  private final DaemonActivity activity;
  private final PrintStream log;
  private final Runnable stop;
  private final ScheduledExecutorService clock =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "capsule-daemon-idle");
            t.setDaemon(true);
            return t;
          });
  private int checks;

  /**
   * @param stop what stops the daemon (closing its socket)
   */
  DaemonWatchdog(
      DaemonPaths paths,
      Duration idleTimeout,
      DaemonActivity activity,
      PrintStream log,
      Runnable stop) {
    this.paths = paths;
    this.idleTimeout = idleTimeout;
    this.activity = activity;
    this.log = log;
    this.stop = stop;
  }

  /** Starts the checks and schedules the sweep. */
  DaemonWatchdog start() {
    clock.scheduleWithFixedDelay(this::stopIfIdleOrOrphaned, 1, 1, TimeUnit.SECONDS);
    clock.schedule(this::sweepCache, SWEEP_DELAY.toSeconds(), TimeUnit.SECONDS);
    return this;
  }

  @Override
  public void close() {
    clock.shutdownNow();
  }

  /**
   * Stops after the idle timeout, when the socket was deleted, or (between tasks) when the build
   * was replaced: a rebuilt CLI starts a daemon of its own, so this one would only hold memory.
   */
  private void stopIfIdleOrOrphaned() {
    boolean quiet = activity.isQuiet();
    String why =
        activity.isIdleFor(idleTimeout)
            ? "idle for " + Durations.format(idleTimeout)
            : !Files.exists(paths.socket())
                ? "socket gone"
                : quiet && ++checks % 10 == 0 && isStale() ? "the build was replaced" : null;
    if (why != null) {
      log.println("capsule daemon: stopping: " + why);
      stop.run();
    } else if (activity.burstEndedFor(TRIM_AFTER)) {
      DaemonMemory.trim(log, "callers' tasks");
    }
  }

  private boolean isStale() {
    String now = DaemonPaths.fingerprint(System.getProperty("java.class.path"));
    return !paths.dir().getFileName().toString().equals(now);
  }

  /**
   * Removes cache entries (and directories of other builds' daemons) unused for {@link
   * CacheSweeper#DEFAULT_MAX_UNUSED}: each upgrade keys new ones, and the daemon is the process
   * that lives on a developer's machine.
   */
  private void sweepCache() {
    Duration maxUnused = CacheSweeper.DEFAULT_MAX_UNUSED;
    CacheSweeper.Swept swept = CacheSweeper.sweep(SandboxConfig.defaultCacheDir(), maxUnused);
    int daemons = DaemonPaths.sweepOthers(paths, maxUnused);
    if (swept.files() > 0 || daemons > 0) {
      log.printf(
          "capsule daemon: removed %d cache files (%d MB) and %d old daemon directories unused"
              + " for %s%n",
          swept.files(), swept.bytes() >> 20, daemons, Durations.format(maxUnused));
    }
  }
}
