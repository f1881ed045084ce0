package io.capsule.broker.junit;

import io.capsule.broker.KafkaCluster;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class its own three-node {@link KafkaCluster} (separate broker processes, topics
 * replicated three times with two in sync), started when a test first asks for it and closed — its
 * processes stopped and its temp directory deleted — when the class ends. The cluster has a proxied
 * listener ({@link KafkaCluster#proxyRoutes()}), so tests may put a proxy between a client and the
 * brokers.
 *
 * <pre>{@code
 * @ExtendWith(KafkaClusterExtension.class)
 * class FailoverIT {
 *   @Test
 *   void survivesALeaderKill(KafkaCluster cluster) { cluster.kill(1); ... }
 * }
 * }</pre>
 *
 * <p>Tests that kill nodes should restart them before the next test of the class.
 */
public final class KafkaClusterExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaClusterExtension.class);

  /** Creates the extension; JUnit calls this. */
  public KafkaClusterExtension() {}

  /** The class's cluster, started on first use. */
  public static KafkaCluster cluster(ExtensionContext context) {
    ExtensionContext owner = context.getTestClass().isPresent() ? classContext(context) : context;
    return owner
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(KafkaCluster.class, type -> start(), KafkaCluster.class);
  }

  private static ExtensionContext classContext(ExtensionContext context) {
    ExtensionContext at = context;
    while (at.getTestMethod().isPresent() && at.getParent().isPresent()) {
      at = at.getParent().get();
    }
    return at;
  }

  private static KafkaCluster start() {
    long started = System.nanoTime();
    KafkaCluster cluster = KafkaCluster.builder().withProxiedListener().build().start();
    System.err.printf(
        "Kafka cluster of %d processes at %s ready in %d ms%n",
        cluster.nodeIds().size(),
        cluster.bootstrapServers(),
        (System.nanoTime() - started) / 1_000_000);
    return cluster;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == KafkaCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return cluster(context);
  }
}
