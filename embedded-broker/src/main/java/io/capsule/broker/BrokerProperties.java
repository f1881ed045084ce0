package io.capsule.broker;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;

/**
 * The server configuration of a single-node KRaft broker: the node is both broker and its own
 * controller, both listen on loopback, and every internal topic has one replica.
 */
final class BrokerProperties {
  /** Keys derived from the log dir and ports; callers set those through the builder instead. */
  static final Set<String> RESERVED =
      Set.of(
          "process.roles",
          "node.id",
          "listeners",
          "advertised.listeners",
          "controller.listener.names",
          "inter.broker.listener.name",
          "listener.security.protocol.map",
          "controller.quorum.voters",
          "controller.quorum.bootstrap.servers",
          "log.dir",
          "log.dirs",
          "metadata.log.dir");

  /**
   * Dev and test defaults: internal topics with one partition and one replica (share groups and
   * transactions work on one node), no initial rebalance delay, 500 ms heartbeats for share groups
   * and KIP-848 consumer groups instead of 5 s (members get their assignment sooner), and a 16 MiB
   * log-cleaner buffer instead of Kafka's 128 MiB (which costs ~110 MiB of heap).
   */
  /**
   * {@code key} and {@code value} as a setting a caller may make; {@code setBy} names what derives
   * the reserved ones in the error.
   *
   * @throws IllegalArgumentException for a blank or {@link #RESERVED} key
   */
  static void requireSettable(String key, String value, String setBy) {
    Objects.requireNonNull(value, "value");
    if (Objects.requireNonNull(key, "key").isBlank() || RESERVED.contains(key)) {
      throw new IllegalArgumentException(key + " is set by " + setBy + " itself");
    }
  }

  static final Map<String, String> DEFAULTS = defaults();

  private static final String NODE_ID = "1";
  private static final String HOST = "127.0.0.1";

  private BrokerProperties() {}

  /** Builds the configuration for a broker on the given ports, with the overrides applied last. */
  static Properties of(Path logDir, int brokerPort, int controllerPort, Map<String, String> extra) {
    Properties props = new Properties();
    props.putAll(DEFAULTS);
    props.putAll(extra);
    props.putAll(topology(logDir, brokerPort, controllerPort));
    return props;
  }

  private static Map<String, String> topology(Path logDir, int brokerPort, int controllerPort) {
    String controller = HOST + ":" + controllerPort;
    String broker = "PLAINTEXT://" + HOST + ":" + brokerPort;
    Map<String, String> topology = new LinkedHashMap<>();
    topology.put("process.roles", "broker,controller");
    topology.put("node.id", NODE_ID);
    topology.put("listeners", broker + ",CONTROLLER://" + controller);
    topology.put("advertised.listeners", broker);
    topology.put("controller.listener.names", "CONTROLLER");
    topology.put("inter.broker.listener.name", "PLAINTEXT");
    topology.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    topology.put("controller.quorum.bootstrap.servers", controller);
    topology.put("log.dirs", logDir.toAbsolutePath().toString());
    return topology;
  }

  private static Map<String, String> defaults() {
    Map<String, String> defaults = new LinkedHashMap<>();
    defaults.put("num.partitions", "1");
    defaults.put("default.replication.factor", "1");
    defaults.put("min.insync.replicas", "1");
    defaults.put("offsets.topic.num.partitions", "1");
    defaults.put("offsets.topic.replication.factor", "1");
    defaults.put("transaction.state.log.num.partitions", "1");
    defaults.put("transaction.state.log.replication.factor", "1");
    defaults.put("transaction.state.log.min.isr", "1");
    defaults.put("share.coordinator.state.topic.num.partitions", "1");
    defaults.put("share.coordinator.state.topic.replication.factor", "1");
    defaults.put("share.coordinator.state.topic.min.isr", "1");
    defaults.put("group.initial.rebalance.delay.ms", "0");
    defaults.put("group.share.min.heartbeat.interval.ms", "500");
    defaults.put("group.share.heartbeat.interval.ms", "500");
    defaults.put("group.consumer.min.heartbeat.interval.ms", "500");
    defaults.put("group.consumer.heartbeat.interval.ms", "500");
    defaults.put("auto.create.topics.enable", "true");
    defaults.put("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024));
    return Map.copyOf(defaults);
  }
}
