package io.capsule.broker.junit;

import io.capsule.broker.EmbeddedKafka;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives integration tests a real Kafka broker: one {@link EmbeddedKafka} per test JVM, started when
 * a test first asks for it and closed when the whole test run ends (it lives in the root context's
 * store, which closes {@link AutoCloseable} values).
 *
 * <pre>{@code
 * @ExtendWith(KafkaBrokerExtension.class)
 * class ResultPublisherIT {
 *   @Test
 *   void publishesEnvelope(@BootstrapServers String servers) { ... }
 * }
 * }</pre>
 *
 * <p>Injects a {@code String} parameter annotated {@link BootstrapServers}, or an {@link
 * EmbeddedKafka} parameter. The broker is shared by every test class, so tests use their own topic
 * and group names. It runs with the {@link EmbeddedKafka#builder()} defaults (topics are
 * auto-created).
 *
 * <p>With {@code -Dcapsule.it.kafka=container} the same tests run against the official {@code
 * apache/kafka} image through Testcontainers instead ({@link ContainerKafka}); they are skipped
 * where no Docker engine exists, and tests that need the {@link EmbeddedKafka} object itself are
 * skipped in that mode.
 */
public final class KafkaBrokerExtension implements ParameterResolver, ExecutionCondition {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

  /** Creates the extension; JUnit calls this. */
  public KafkaBrokerExtension() {}

  /** The shared broker, started on first use. */
  public static EmbeddedKafka broker(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(EmbeddedKafka.class, type -> start(), EmbeddedKafka.class);
  }

  /** Starts the shared broker and prints its start-to-ready time to stderr (never asserted). */
  private static EmbeddedKafka start() {
    long started = System.nanoTime();
    EmbeddedKafka broker = EmbeddedKafka.builder().build().start();
    System.err.printf(
        "shared embedded Kafka at %s ready in %d ms%n",
        broker.bootstrapServers(), (System.nanoTime() - started) / 1_000_000);
    return broker;
  }

  /**
   * In container mode, skips (rather than fails) everything when no Docker engine is reachable, and
   * the tests that need the embedded broker object.
   */
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (!useContainer()) {
      return ConditionEvaluationResult.enabled("embedded broker");
    }
    if (!ContainerKafka.dockerAvailable()) {
      return ConditionEvaluationResult.disabled("no Docker engine for the apache/kafka container");
    }
    boolean needsEmbedded =
        context.getTestMethod().stream()
            .flatMap(m -> java.util.Arrays.stream(m.getParameterTypes()))
            .anyMatch(t -> t == EmbeddedKafka.class);
    return needsEmbedded
        ? ConditionEvaluationResult.disabled("needs the embedded broker object")
        : ConditionEvaluationResult.enabled("apache/kafka container");
  }

  /** Whether {@code -Dcapsule.it.kafka=container} asks for the apache/kafka container. */
  static boolean useContainer() {
    return "container".equalsIgnoreCase(System.getProperty("capsule.it.kafka", "embedded"));
  }

  /** Supports {@code @BootstrapServers String} and {@code EmbeddedKafka} parameters. */
  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == EmbeddedKafka.class
        || (type == String.class && parameter.isAnnotated(BootstrapServers.class));
  }

  /** Resolves the parameter from the shared broker, starting it if needed. */
  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (useContainer()) {
      return context
          .getRoot()
          .getStore(NAMESPACE)
          .getOrComputeIfAbsent(
              ContainerKafka.class, type -> ContainerKafka.start(), ContainerKafka.class)
          .bootstrapServers();
    }
    EmbeddedKafka broker = broker(context);
    return parameter.getParameter().getType() == EmbeddedKafka.class
        ? broker
        : broker.bootstrapServers();
  }
}
