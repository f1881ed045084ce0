package io.capsule.broker;

import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.server.Server;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Apache Kafka broker running in this JVM, in KRaft mode as its own controller,
 * listening on loopback only. Meant for {@code capsule up} and for integration tests.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.builder().build().start()) {
 *   String servers = kafka.bootstrapServers();
 * }
 * }</pre>
 *
 * <p>Storage is formatted as {@code kafka-storage format --standalone} does, with a random cluster
 * id. Without {@link Builder#withLogDir(Path)} the data lives in a temp directory that {@link
 * #close()} deletes; a given directory is kept, and a broker started on it again keeps its topics.
 * A temp directory is marked with its owner's pid: one left behind by a killed process is deleted
 * when the next embedded broker starts. Kafka's own logging goes to stderr (see {@code log4j2.xml}
 * in this jar).
 *
 * <p>Thread-safe: {@link #start()} and {@link #close()} may be called from any thread. A started
 * broker also closes from a JVM shutdown hook if the process exits without closing it.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final String TEMP_PREFIX = "capsule-kafka-";
  private static final int BIND_ATTEMPTS = 3;

  private final Path configuredLogDir;
  private final int configuredPort;
  private final Map<String, String> overrides;
  private final Duration startTimeout;

  private State state = State.NEW;
  private Server server;
  private Thread shutdownHook;
  private final boolean closeOnJvmExit;
  private Path logDir;
  private Path tempRoot;
  private String bootstrapServers;
  private String clusterId;

  /** Where a broker is in its life; it is never restarted once closed. */
  public enum State {
    /** Built, not started. */
    NEW,
    /** Started and accepting client connections. */
    RUNNING,
    /** Closed (or failed to start); its temp storage is gone. */
    CLOSED
  }

  private EmbeddedKafka(Builder builder) {
    this.configuredLogDir = builder.logDir;
    this.configuredPort = builder.port;
    this.overrides = Map.copyOf(builder.config);
    this.startTimeout = builder.startTimeout;
    this.closeOnJvmExit = builder.closeOnJvmExit;
  }

  /** Starts a builder with the dev/test defaults described on {@link Builder}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Formats the storage, starts the broker and blocks until it answers an Admin {@code
   * describeCluster}. On failure the broker is stopped and temp storage removed.
   *
   * @return this broker, for chaining
   * @throws EmbeddedKafkaException if formatting or startup fails or the broker is not ready within
   *     the start timeout
   * @throws IllegalStateException if the broker was already started or closed
   */
  public synchronized EmbeddedKafka start() {
    if (state != State.NEW) {
      throw new IllegalStateException("broker is " + state + "; start it only once");
    }
    logDir = configuredLogDir != null ? configuredLogDir : tempLogDir();
    registerShutdownHook();
    try {
      launchRetryingPortClashes();
      state = State.RUNNING;
      return this;
    } catch (RuntimeException e) {
      close();
      throw new EmbeddedKafkaException(
          "embedded Kafka failed to start: " + e.getMessage(), logDir, e);
    }
  }

  /** The {@code bootstrap.servers} value for clients, such as {@code 127.0.0.1:39211}. */
  public synchronized String bootstrapServers() {
    requireRunning();
    return bootstrapServers;
  }

  /** The cluster id the broker reports (random for a fresh log directory). */
  public synchronized String clusterId() {
    requireRunning();
    return clusterId;
  }

  /** The log directory in use: the configured one or a temp directory. */
  public synchronized Path logDir() {
    requireRunning();
    return logDir;
  }

  /** Where this broker is in its life. */
  public synchronized State state() {
    return state;
  }

  /**
   * Shuts the broker down cleanly, waits for it to stop, and deletes its storage if it was a temp
   * directory. Calling it again does nothing.
   */
  @Override
  public synchronized void close() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    try {
      stopServer();
    } finally {
      deleteTempStorage();
      unregisterShutdownHook();
    }
  }

  /**
   * A log directory inside a fresh temp directory marked as this process's; temp directories of
   * brokers whose process was killed before it could delete them are reaped first.
   */
  private Path tempLogDir() {
    Directories.reapAbandoned(TEMP_PREFIX);
    tempRoot = Directories.createOwnedTemp(TEMP_PREFIX);
    return tempRoot.resolve("data");
  }

  /**
   * Free ports are picked before Kafka binds them, so another process can take one in between; a
   * bind failure is therefore retried on new ports a few times. A port the operator chose is tried
   * once: a second server on the same busy port would fail the same way, and each failed start
   * leaves Kafka threads winding down on the same log directory. The failures of earlier attempts
   * are suppressed in the one thrown.
   */
  private void launchRetryingPortClashes() {
    List<RuntimeException> earlier = new ArrayList<>();
    for (int attempt = 1; ; attempt++) {
      try {
        launch();
        return;
      } catch (RuntimeException e) {
        if (attempt == BIND_ATTEMPTS || configuredPort != 0 || !isBindFailure(e)) {
          earlier.forEach(e::addSuppressed);
          throw e;
        }
        earlier.add(e);
        stopServer();
      }
    }
  }

  private static boolean isBindFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return true;
      }
    }
    return false;
  }

  private void launch() {
    int port = configuredPort != 0 ? configuredPort : FreePorts.pick();
    Properties props = BrokerProperties.of(logDir, port, FreePorts.pick(), overrides);
    StorageFormatter.formatIfNeeded(logDir, props, Uuid.randomUuid().toString());
    server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    server.startup();
    bootstrapServers = "127.0.0.1:" + port;
    clusterId = awaitReady();
  }

  private String awaitReady() {
    try (Admin admin = Admin.create(adminConfig())) {
      DescribeClusterResult cluster = admin.describeCluster(describeOptions());
      long timeoutMs = startTimeout.toMillis();
      if (cluster.nodes().get(timeoutMs, TimeUnit.MILLISECONDS).isEmpty()) {
        throw new IllegalStateException("broker started but reports no nodes");
      }
      return cluster.clusterId().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("broker not ready within " + startTimeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the broker", e);
    }
  }

  private Map<String, Object> adminConfig() {
    return Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrapServers,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
        (int) startTimeout.toMillis(),
        AdminClientConfig.CLIENT_ID_CONFIG,
        "capsule-embedded-broker-probe");
  }

  private DescribeClusterOptions describeOptions() {
    return new DescribeClusterOptions().timeoutMs((int) startTimeout.toMillis());
  }

  /** Stops the broker and removes temp storage if the JVM exits (Ctrl-C) before close(). */
  private void registerShutdownHook() {
    if (!closeOnJvmExit) {
      return;
    }
    shutdownHook = new Thread(this::close, "capsule-embedded-kafka-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  private void unregisterShutdownHook() {
    if (shutdownHook == null || Thread.currentThread() == shutdownHook) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down; the hook will find this broker closed.
    }
  }

  private void stopServer() {
    if (server != null) {
      server.shutdown();
      server.awaitShutdown();
      server = null;
    }
  }

  private void deleteTempStorage() {
    if (tempRoot != null) {
      Directories.deleteRecursively(tempRoot);
    }
  }

  private void requireRunning() {
    if (state != State.RUNNING) {
      throw new IllegalStateException("broker is " + state + ", not running");
    }
  }

  /**
   * Settings for an {@link EmbeddedKafka}. Defaults: a temp log directory, a free loopback port, a
   * 60 s start timeout, auto topic creation on, and single-node settings for Kafka's internal
   * topics (consumer offsets, transactions, share-group state: one partition, one replica), {@code
   * group.initial.rebalance.delay.ms=0}, 500 ms share/consumer-group heartbeats, and a 16 MiB
   * log-cleaner buffer.
   */
  public static final class Builder {
    private Path logDir;
    private Path tempRoot;
    private int port;
    private final Map<String, String> config = new LinkedHashMap<>();
    private Duration startTimeout = Duration.ofSeconds(60);
    private boolean closeOnJvmExit = true;

    private Builder() {}

    /**
     * Whether a JVM shutdown hook closes the broker if its owner did not (default true). An owner
     * with its own ordered shutdown (stop clients first, then the broker) turns it off, so the two
     * hooks do not race.
     */
    public Builder withCloseOnJvmExit(boolean enabled) {
      this.closeOnJvmExit = enabled;
      return this;
    }

    /**
     * Keeps the broker's data in {@code dir} (created if missing, never deleted by {@link
     * EmbeddedKafka#close()}). A directory formatted before is reused as it is.
     */
    public Builder withLogDir(Path dir) {
      this.logDir = Objects.requireNonNull(dir, "dir").toAbsolutePath();
      return this;
    }

    /** Listens for clients on this loopback port; 0 (the default) picks a free one. */
    public Builder withPort(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be 0..65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Sets one broker configuration property, overriding the defaults. Listener, node and directory
     * properties are derived from the other settings and cannot be set here.
     *
     * @throws IllegalArgumentException for a reserved key or a blank key
     */
    public Builder withConfig(String key, String value) {
      BrokerProperties.requireSettable(key, value, "the embedded broker");
      config.put(key, value);
      return this;
    }

    /** Whether producing to or fetching from an unknown topic creates it (default true). */
    public Builder withAutoCreateTopics(boolean enabled) {
      return withConfig("auto.create.topics.enable", String.valueOf(enabled));
    }

    /** How long {@link EmbeddedKafka#start()} waits for the broker to be ready (default 60 s). */
    public Builder withStartTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("start timeout must be positive, was " + timeout);
      }
      this.startTimeout = timeout;
      return this;
    }

    /** Builds a broker that is not started yet. */
    public EmbeddedKafka build() {
      return new EmbeddedKafka(this);
    }
  }
}
