package io.capsule.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The chaos run's {@code capsule worker} processes: started from a command prefix, each with its
 * own bootstrap servers and worker id, killed ({@code kill -9}), frozen ({@code SIGSTOP}), thawed
 * ({@code SIGCONT}) and restarted. Each writes its stderr to {@code worker-N.log} in the log
 * directory.
 */
final class WorkerProcesses implements AutoCloseable {
  private static final long READY_SECONDS = 120;

  private final List<String> command;
  private final List<String> bootstrapServers;
  private final List<String> flags;
  private final Path logDir;
  private final Process[] processes;
  private final Thread killOnExit = new Thread(this::killAll, "chaos-workers-kill");

  /**
   * @param command the prefix that runs {@code capsule worker} ({@code java … Main worker})
   * @param bootstrapServers each worker's bootstrap servers (the list's size is the fleet's)
   * @param flags the flags every worker gets
   * @param logDir where the workers' stderr goes
   */
  WorkerProcesses(
      List<String> command, List<String> bootstrapServers, List<String> flags, Path logDir) {
    this.command = List.copyOf(command);
    this.bootstrapServers = List.copyOf(bootstrapServers);
    this.flags = List.copyOf(flags);
    this.logDir = logDir;
    this.processes = new Process[bootstrapServers.size()];
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  int size() {
    return processes.length;
  }

  static String workerId(int index) {
    return "chaos-" + index;
  }

  /** Starts every worker and waits for their ready lines. */
  void startAll() {
    for (int i = 0; i < processes.length; i++) {
      start(i);
    }
  }

  /** Starts worker {@code index} and waits until it prints its first line (it has started). */
  synchronized void start(int index) {
    List<String> full = new ArrayList<>(command);
    full.addAll(List.of("--bootstrap-servers", bootstrapServers.get(index)));
    full.addAll(List.of("--worker-id", workerId(index)));
    full.addAll(flags);
    try {
      Process process =
          new ProcessBuilder(full)
              .redirectError(
                  ProcessBuilder.Redirect.appendTo(
                      logDir.resolve("worker-" + index + ".log").toFile()))
              .start();
      processes[index] = process;
      awaitReady(process, index);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start worker " + index, e);
    }
  }

  private static void awaitReady(Process process, int index) throws IOException {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    // capsule worker prints "worker ID consuming LEVELS", WorkerMain "ready worker=ID".
    if (line == null || !(line.startsWith("worker ") || line.startsWith("ready"))) {
      process.destroyForcibly();
      throw new IllegalStateException("worker " + index + " did not start: " + line);
    }
    Thread drain =
        new Thread(
            () -> {
              try {
                while (out.readLine() != null) {
                  // Workers print nothing else on stdout; keep the pipe from filling.
                }
              } catch (IOException e) {
                // The worker ended.
              }
            },
            "worker-" + index + "-stdout");
    drain.setDaemon(true);
    drain.start();
  }

  /** {@code kill -9} of worker {@code index}; waits until it is gone. */
  synchronized void kill(int index) {
    Process process = processes[index];
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@code kill -STOP}: the worker freezes, holding its connections and tasks. */
  synchronized void freeze(int index) {
    signal(index, "-STOP");
  }

  /** {@code kill -CONT}: a frozen worker runs on, unaware time passed. */
  synchronized void thaw(int index) {
    signal(index, "-CONT");
  }

  private void signal(int index, String signal) {
    long pid = processes[index].pid();
    try {
      Process kill = new ProcessBuilder("kill", signal, Long.toString(pid)).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill " + signal + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kills every worker; a JVM that exits without closing this kills them too. */
  @Override
  public synchronized void close() {
    killAll();
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // The JVM is exiting; the hook kills them again, harmlessly.
    }
  }

  private void killAll() {
    for (int i = 0; i < processes.length; i++) {
      Process process = processes[i];
      if (process != null && process.isAlive()) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
          process.waitFor(READY_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
