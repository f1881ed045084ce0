package io.capsule.broker;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The server configuration of one node of a {@link KafkaCluster}: every node is broker and
 * controller (combined mode), the controllers form a static quorum of all nodes, and internal
 * topics are replicated like the contract's topics (three replicas, two in sync, on three or more
 * nodes). A dead broker is fenced after 4 s, and KIP-848 consumer groups have a 6 s session.
 */
final class ClusterProperties {
  static final String HOST = "127.0.0.1";

  private ClusterProperties() {}

  /** Replicas for the cluster's topics: three, or every node of a smaller cluster. */
  static int replicationFactor(int nodes) {
    return Math.min(3, nodes);
  }

  /** Replicas that must acknowledge a write: two of three, one on a single node. */
  static int minInsyncReplicas(int nodes) {
    return replicationFactor(nodes) >= 3 ? 2 : 1;
  }

  /** Defaults of every node: the embedded broker's dev defaults, replicated for the cluster. */
  static Map<String, String> defaults(int nodes) {
    String replicas = String.valueOf(replicationFactor(nodes));
    String minIsr = String.valueOf(minInsyncReplicas(nodes));
    Map<String, String> defaults = new LinkedHashMap<>(BrokerProperties.DEFAULTS);
    defaults.put("default.replication.factor", replicas);
    defaults.put("min.insync.replicas", minIsr);
    defaults.put("offsets.topic.replication.factor", replicas);
    defaults.put("offsets.topic.num.partitions", String.valueOf(nodes));
    defaults.put("transaction.state.log.replication.factor", replicas);
    defaults.put("transaction.state.log.min.isr", minIsr);
    defaults.put("share.coordinator.state.topic.replication.factor", replicas);
    defaults.put("share.coordinator.state.topic.min.isr", minIsr);
    // A killed broker is fenced (its partitions get new leaders) after 4 s, not Kafka's 9 s.
    defaults.put("broker.heartbeat.interval.ms", "1000");
    defaults.put("broker.session.timeout.ms", "4000");
    // KIP-848 consumer groups may ask for session timeouts down to 3 s (Kafka: 45 s minimum).
    defaults.put("group.consumer.min.session.timeout.ms", "3000");
    defaults.put("group.consumer.session.timeout.ms", "6000");
    return defaults;
  }

  /** The configuration of node {@code id} (1-based) among {@code all}, overrides applied. */
  static Properties of(int id, List<NodePorts> all, Path logDir, Map<String, String> extra) {
    Properties props = new Properties();
    props.putAll(defaults(all.size()));
    props.putAll(extra);
    props.putAll(topology(id, all, logDir));
    return props;
  }

  private static Map<String, String> topology(int id, List<NodePorts> all, Path logDir) {
    NodePorts ports = all.get(id - 1);
    String listeners = "PLAINTEXT://" + HOST + ":" + ports.client();
    String advertised = listeners;
    String protocols = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT";
    if (ports.proxied()) {
      listeners += ",PROXIED://" + HOST + ":" + ports.proxiedTarget();
      advertised += ",PROXIED://" + HOST + ":" + ports.proxiedAdvertised();
      protocols += ",PROXIED:PLAINTEXT";
    }
    Map<String, String> topology = new LinkedHashMap<>();
    topology.put("process.roles", "broker,controller");
    topology.put("node.id", String.valueOf(id));
    topology.put("listeners", listeners + ",CONTROLLER://" + HOST + ":" + ports.controller());
    topology.put("advertised.listeners", advertised);
    topology.put("controller.listener.names", "CONTROLLER");
    topology.put("inter.broker.listener.name", "PLAINTEXT");
    topology.put("listener.security.protocol.map", protocols);
    topology.put("controller.quorum.voters", voters(all));
    topology.put("log.dirs", logDir.toAbsolutePath().toString());
    return topology;
  }

  private static String voters(List<NodePorts> all) {
    return IntStream.range(0, all.size())
        .mapToObj(i -> (i + 1) + "@" + HOST + ":" + all.get(i).controller())
        .collect(Collectors.joining(","));
  }
}
