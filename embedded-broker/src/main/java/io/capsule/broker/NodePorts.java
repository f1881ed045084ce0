package io.capsule.broker;

/**
 * The loopback ports of one node of a {@link KafkaCluster}.
 *
 * @param client the PLAINTEXT listener clients and the other brokers use
 * @param controller the CONTROLLER listener of the KRaft quorum
 * @param proxiedTarget the PROXIED listener's real port, or 0 without one
 * @param proxiedAdvertised the port the PROXIED listener advertises (where a proxy listens and
 *     forwards to {@code proxiedTarget}), or 0 without one
 */
record NodePorts(int client, int controller, int proxiedTarget, int proxiedAdvertised) {
  NodePorts {
    if (client <= 0 || controller <= 0 || (proxiedTarget == 0) != (proxiedAdvertised == 0)) {
      throw new IllegalArgumentException("bad node ports " + client + "," + controller);
    }
  }

  /** Free ports for a node, with or without a proxied listener. */
  static NodePorts pick(boolean proxied) {
    return new NodePorts(
        FreePorts.pick(),
        FreePorts.pick(),
        proxied ? FreePorts.pick() : 0,
        proxied ? FreePorts.pick() : 0);
  }

  /** Whether the node has a proxied listener. */
  boolean proxied() {
    return proxiedTarget != 0;
  }

  /** The form kept in a cluster's {@code cluster.properties}: four comma-separated ports. */
  String text() {
    return client + "," + controller + "," + proxiedTarget + "," + proxiedAdvertised;
  }

  /** Parses {@link #text()}. */
  static NodePorts parse(String text) {
    String[] p = text.strip().split(",");
    if (p.length != 4) {
      throw new IllegalArgumentException("bad node ports '" + text + "'");
    }
    return new NodePorts(
        Integer.parseInt(p[0]),
        Integer.parseInt(p[1]),
        Integer.parseInt(p[2]),
        Integer.parseInt(p[3]));
  }
}
