// Over 400 lines: node processes' life (configs, start, readiness, kill, restart, reap) together.
package io.capsule.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;

/**
 * A real multi-node Apache Kafka cluster on loopback, each node a separate JVM process running
 * Kafka's own server ({@code kafka.Kafka}, from the jars on this JVM's class path). Every node is
 * broker and controller (KRaft combined mode); the controllers form a static quorum of all nodes.
 * Topics get three replicas and {@code min.insync.replicas=2} by default (every node on smaller
 * clusters), so one node can be killed without losing a write. For {@code capsule up --brokers N},
 * fault tests and the chaos benchmark.
 *
 * <pre>{@code
 * try (KafkaCluster cluster = KafkaCluster.builder().withNodes(3).build().start()) {
 *   String servers = cluster.bootstrapServers();
 *   cluster.kill(2);    // kill -9
 *   cluster.restart(2); // same ports, same data
 * }
 * }</pre>
 *
 * <p>Without {@link Builder#withDataDir(Path)} the nodes live in a temp directory that {@link
 * #close()} deletes (and the next cluster or embedded broker reaps if this process was killed
 * first). A given directory is kept with the nodes' ports and cluster id: a cluster started on it
 * again has its topics. A node's process exits when this JVM does, however it ends (it watches its
 * standard input, whose other end this JVM holds). Each node writes Kafka's log to {@code
 * node-N/broker.log} in the cluster's directory.
 *
 * <p>Thread-safe.
 */
public final class KafkaCluster implements AutoCloseable {
  private static final String TEMP_PREFIX = "capsule-kafka-cluster-";
  private static final String LAYOUT_FILE = "cluster.properties";
  private static final long CLOSE_WAIT_SECONDS = 20;

  private final int size;
  private final Path configuredDir;
  private final boolean proxied;
  private final Map<String, String> overrides;
  private final List<String> jvmOptions;
  private final Duration startTimeout;

  private final List<ClusterNode> nodes = new ArrayList<>();
  private Path root;
  private boolean tempRoot;
  private String clusterId;
  private Thread shutdownHook;
  private boolean closed;

  /**
   * A proxied listener's route: a proxy listening on {@code listenPort} (what the node advertises)
   * forwards to the node's {@code targetPort}.
   *
   * @param nodeId the node
   * @param listenPort where the proxy must listen
   * @param targetPort where it forwards to
   */
  public record ProxyRoute(int nodeId, int listenPort, int targetPort) {}

  private KafkaCluster(Builder builder) {
    this.size = builder.nodes;
    this.configuredDir = builder.dataDir;
    this.proxied = builder.proxied;
    this.overrides = Map.copyOf(builder.config);
    this.jvmOptions = List.copyOf(builder.jvmOptions);
    this.startTimeout = builder.startTimeout;
  }

  /** A builder for a three-node cluster in a temp directory. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Lays out and formats the nodes' storage (unless the data directory already holds this cluster),
   * starts every node and waits until all of them are registered.
   *
   * @return this cluster
   * @throws EmbeddedKafkaException if a node cannot start or the cluster is not ready in time;
   *     every started node is stopped again
   */
  public synchronized KafkaCluster start() {
    if (root != null) {
      throw new IllegalStateException("a cluster starts only once");
    }
    root = prepareRoot();
    registerShutdownHook();
    try {
      layOut();
      nodes.forEach(n -> n.launch(jvmOptions));
      awaitNodes(bootstrapServers(), Set.copyOf(nodeIds()));
      return this;
    } catch (RuntimeException e) {
      close();
      throw new EmbeddedKafkaException("Kafka cluster failed to start: " + e.getMessage(), root, e);
    }
  }

  /** {@code bootstrap.servers} naming every node's PLAINTEXT listener. */
  public String bootstrapServers() {
    return nodes.stream()
        .map(n -> ClusterProperties.HOST + ":" + n.ports().client())
        .collect(Collectors.joining(","));
  }

  /**
   * {@code bootstrap.servers} naming every node's proxied listener: clients that bootstrap here
   * reach the nodes only through the proxies of {@link #proxyRoutes()}.
   *
   * @throws IllegalStateException without {@link Builder#withProxiedListener()}
   */
  public String proxiedBootstrapServers() {
    requireProxied();
    return nodes.stream()
        .map(n -> ClusterProperties.HOST + ":" + n.ports().proxiedAdvertised())
        .collect(Collectors.joining(","));
  }

  /** Where proxies must listen and forward for the proxied listener (one route per node). */
  public List<ProxyRoute> proxyRoutes() {
    requireProxied();
    return nodes.stream()
        .map(n -> new ProxyRoute(n.id(), n.ports().proxiedAdvertised(), n.ports().proxiedTarget()))
        .toList();
  }

  /** The node ids, 1 to N. */
  public List<Integer> nodeIds() {
    return nodes.stream().map(ClusterNode::id).toList();
  }

  /** The cluster id all nodes were formatted with. */
  public String clusterId() {
    return clusterId;
  }

  /** The directory holding the nodes ({@code node-N/}). */
  public synchronized Path dataDir() {
    return root;
  }

  /** Whether node {@code id}'s process runs. */
  public boolean isRunning(int id) {
    return node(id).alive();
  }

  /** The process id of node {@code id}. */
  public long pid(int id) {
    return node(id).pid();
  }

  /** Kills node {@code id} with SIGKILL ({@code kill -9}) and waits until its process is gone. */
  public void kill(int id) {
    node(id).kill();
  }

  /**
   * Starts node {@code id} again on its ports and data and waits until it is registered again.
   *
   * @throws EmbeddedKafkaException if it is not back within the start timeout
   */
  public void restart(int id) {
    ClusterNode node = node(id);
    node.launch(jvmOptions);
    try {
      awaitNodes(ClusterProperties.HOST + ":" + node.ports().client(), Set.of(id));
    } catch (RuntimeException e) {
      throw new EmbeddedKafkaException("node " + id + " did not come back: " + e, root, e);
    }
  }

  /**
   * Stops every node (SIGTERM to all at once, SIGKILL after 20 s) and deletes a temp directory.
   * Calling it again does nothing.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      stopAll();
    } finally {
      if (tempRoot) {
        Directories.deleteRecursively(root);
      }
      unregisterShutdownHook();
    }
  }

  private void stopAll() {
    List<Thread> stops = new ArrayList<>();
    for (ClusterNode node : nodes) {
      Thread stop = new Thread(node::stop, "capsule-cluster-stop-" + node.id());
      stop.start();
      stops.add(stop);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_WAIT_SECONDS);
    for (Thread stop : stops) {
      joinUntil(stop, deadline);
    }
    nodes.forEach(ClusterNode::kill);
  }

  private static void joinUntil(Thread thread, long deadline) {
    try {
      thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Path prepareRoot() {
    if (configuredDir != null) {
      createDirectories(configuredDir);
      return configuredDir;
    }
    Directories.reapAbandoned(TEMP_PREFIX);
    tempRoot = true;
    return Directories.createOwnedTemp(TEMP_PREFIX);
  }

  /** Reuses the directory's ports and cluster id, or picks new ones and records them. */
  private void layOut() {
    Properties layout = readLayout();
    List<NodePorts> ports = new ArrayList<>();
    if (layout.isEmpty()) {
      clusterId = Uuid.randomUuid().toString();
      for (int id = 1; id <= size; id++) {
        ports.add(NodePorts.pick(proxied));
      }
      writeLayout(ports);
    } else {
      clusterId = layout.getProperty("cluster.id");
      ports.addAll(storedPorts(layout));
    }
    for (int id = 1; id <= size; id++) {
      ClusterNode node = new ClusterNode(id, ports.get(id - 1), root.resolve("node-" + id));
      node.prepare(ClusterProperties.of(id, ports, node.dataDir(), overrides), clusterId);
      nodes.add(node);
    }
  }

  private List<NodePorts> storedPorts(Properties layout) {
    int stored = Integer.parseInt(layout.getProperty("nodes", "0"));
    if (stored != size) {
      throw new IllegalStateException(
          root + " holds a cluster of " + stored + " nodes, not " + size);
    }
    List<NodePorts> ports = new ArrayList<>();
    for (int id = 1; id <= size; id++) {
      NodePorts node = NodePorts.parse(layout.getProperty("node." + id + ".ports"));
      if (node.proxied() != proxied) {
        throw new IllegalStateException(root + " was laid out with proxied=" + node.proxied());
      }
      ports.add(node);
    }
    return ports;
  }

  private Properties readLayout() {
    Properties layout = new Properties();
    Path file = root.resolve(LAYOUT_FILE);
    if (Files.isRegularFile(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        layout.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }
    return layout;
  }

  private void writeLayout(List<NodePorts> ports) {
    Properties layout = new Properties();
    layout.setProperty("cluster.id", clusterId);
    layout.setProperty("nodes", String.valueOf(ports.size()));
    for (int i = 0; i < ports.size(); i++) {
      layout.setProperty("node." + (i + 1) + ".ports", ports.get(i).text());
    }
    try (OutputStream out = Files.newOutputStream(root.resolve(LAYOUT_FILE))) {
      layout.store(out, "capsule Kafka cluster: ports and id, reused on restart");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the cluster layout", e);
    }
  }

  /**
   * Waits until the cluster, asked through {@code servers}, reports every node of {@code expected}
   * as registered and unfenced; fails at once if a node's process exits meanwhile.
   */
  private void awaitNodes(String servers, Set<Integer> expected) {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    awaitListening(expected, deadline);
    RuntimeException last = null;
    try (Admin admin = Admin.create(adminConfig(servers))) {
      while (System.nanoTime() < deadline) {
        requireAlive(expected);
        try {
          if (registered(admin).containsAll(expected)) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = new IllegalStateException(e.getCause() != null ? e.getCause() : e);
        }
        TimeUnit.MILLISECONDS.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the cluster", e);
    }
    throw new IllegalStateException("cluster not ready within " + startTimeout, last);
  }

  /**
   * Waits until each node's client port accepts connections, before any Kafka client tries (one
   * would log a warning for every refused connection).
   */
  private void awaitListening(Set<Integer> ids, long deadline) {
    for (int id : ids) {
      while (!accepts(node(id).ports().client())) {
        requireAlive(ids);
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("node " + id + " not listening within " + startTimeout);
        }
        try {
          TimeUnit.MILLISECONDS.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the cluster", e);
        }
      }
    }
  }

  private static boolean accepts(int port) {
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress(ClusterProperties.HOST, port), 1_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Set<Integer> registered(Admin admin)
      throws ExecutionException, TimeoutException, InterruptedException {
    var options = new DescribeClusterOptions().timeoutMs(5_000);
    return admin.describeCluster(options).nodes().get(5, TimeUnit.SECONDS).stream()
        .map(Node::id)
        .collect(Collectors.toSet());
  }

  private void requireAlive(Set<Integer> ids) {
    for (int id : ids) {
      ClusterNode node = node(id);
      if (!node.alive()) {
        throw new IllegalStateException(
            "node " + node.id() + " exited; see " + node.logFile().toAbsolutePath());
      }
    }
  }

  private static Map<String, Object> adminConfig(String servers) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, "capsule-cluster-probe");
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
    return config;
  }

  private ClusterNode node(int id) {
    if (id < 1 || id > nodes.size()) {
      throw new IllegalArgumentException("no node " + id + " (nodes are 1.." + nodes.size() + ")");
    }
    return nodes.get(id - 1);
  }

  private void requireProxied() {
    if (!proxied) {
      throw new IllegalStateException("the cluster was built without a proxied listener");
    }
  }

  private void registerShutdownHook() {
    shutdownHook = new Thread(this::close, "capsule-kafka-cluster-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  private void unregisterShutdownHook() {
    if (shutdownHook == null || Thread.currentThread() == shutdownHook) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down; the hook will find this cluster closed.
    }
  }

  private static void createDirectories(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  /**
   * Settings for a {@link KafkaCluster}. Defaults: three nodes, a temp directory, no proxied
   * listener, {@code -Xmx512m -XX:+UseSerialGC} per node, a 120 s start timeout, and the embedded
   * broker's dev defaults (see {@link EmbeddedKafka.Builder}) with internal and new topics
   * replicated three times, two in sync.
   */
  public static final class Builder {
    private int nodes = 3;
    private Path dataDir;
    private boolean proxied;
    private final Map<String, String> config = new LinkedHashMap<>();
    private List<String> jvmOptions = List.of("-Xmx512m", "-XX:+UseSerialGC");
    private Duration startTimeout = Duration.ofSeconds(120);

    private Builder() {}

    /** How many nodes (1 to 9; default 3). */
    public Builder withNodes(int count) {
      if (count < 1 || count > 9) {
        throw new IllegalArgumentException("nodes must be 1..9, was " + count);
      }
      this.nodes = count;
      return this;
    }

    /** Keeps the nodes' data, ports and cluster id in {@code dir} (created if missing). */
    public Builder withDataDir(Path dir) {
      this.dataDir = Objects.requireNonNull(dir, "dir").toAbsolutePath();
      return this;
    }

    /**
     * Gives every node a second client listener ({@code PROXIED}) that advertises a port of its
     * own, where a proxy is expected to listen and forward to the listener ({@link
     * #proxyRoutes()}): clients bootstrapped on {@link #proxiedBootstrapServers()} then reach the
     * brokers only through the proxies, so their traffic can be stalled or cut.
     */
    public Builder withProxiedListener() {
      this.proxied = true;
      return this;
    }

    /**
     * Sets one server property on every node. Listener, node, quorum and directory properties are
     * derived and refused.
     */
    public Builder withConfig(String key, String value) {
      BrokerProperties.requireSettable(key, value, "the cluster");
      config.put(key, value);
      return this;
    }

    /** JVM options of each node's process (replacing the defaults). */
    public Builder withJvmOptions(List<String> options) {
      this.jvmOptions = List.copyOf(options);
      return this;
    }

    /** How long {@link KafkaCluster#start()} and {@link KafkaCluster#restart(int)} wait. */
    public Builder withStartTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("start timeout must be positive, was " + timeout);
      }
      this.startTimeout = timeout;
      return this;
    }

    /** Builds a cluster that is not started yet. */
    public KafkaCluster build() {
      return new KafkaCluster(this);
    }
  }
}
