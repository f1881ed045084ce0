package io.capsule.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * One node of a {@link KafkaCluster}: its directory ({@code data/}, {@code server.properties},
 * {@code broker.log}) and, while it runs, its process.
 */
final class ClusterNode {
  private static final long STOP_WAIT_SECONDS = 30;

  private final int id;
  private final NodePorts ports;
  private final Path dir;
  private Process process;

  ClusterNode(int id, NodePorts ports, Path dir) {
    this.id = id;
    this.ports = ports;
    this.dir = dir;
  }

  int id() {
    return id;
  }

  NodePorts ports() {
    return ports;
  }

  Path dataDir() {
    return dir.resolve("data");
  }

  Path logFile() {
    return dir.resolve("broker.log");
  }

  /** Writes {@code server.properties} and formats the data directory unless it already is. */
  void prepare(Properties props, String clusterId) {
    try {
      Files.createDirectories(dir);
      try (OutputStream out = Files.newOutputStream(dir.resolve("server.properties"))) {
        props.store(out, "capsule cluster node " + id);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the configuration of node " + id, e);
    }
    StorageFormatter.formatVoterIfNeeded(dataDir(), props, clusterId);
  }

  /** Starts the node's process ({@code java … BrokerProcessMain server.properties}). */
  synchronized void launch(List<String> jvmOptions) {
    if (alive()) {
      throw new IllegalStateException("node " + id + " is already running");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            BrokerProcessMain.class.getName(),
            dir.resolve("server.properties").toString()));
    try {
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node " + id, e);
    }
  }

  synchronized boolean alive() {
    return process != null && process.isAlive();
  }

  /** The process id while it runs. */
  synchronized long pid() {
    if (!alive()) {
      throw new IllegalStateException("node " + id + " is not running");
    }
    return process.pid();
  }

  /** {@code kill -9}: no shutdown, no flush. Waits until the process is gone. */
  synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      await(process);
    }
  }

  /** SIGTERM (Kafka's controlled shutdown), then SIGKILL if it takes longer than 30 s. */
  synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }

  private static void await(Process process) {
    try {
      process.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
