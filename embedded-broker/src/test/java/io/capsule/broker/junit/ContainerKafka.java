package io.capsule.broker.junit;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The official {@code apache/kafka} image in a container, through Testcontainers: the integration
 * suite's alternative to the embedded broker, chosen with {@code -Dcapsule.it.kafka=container}
 * (image: {@code -Dcapsule.it.kafka.image}, default {@value #DEFAULT_IMAGE}). Without a Docker
 * engine the tests that ask for it are skipped, not failed (see {@link KafkaBrokerExtension}).
 */
final class ContainerKafka implements AutoCloseable {
  static final String DEFAULT_IMAGE = "apache/kafka:4.1.1";

  private final KafkaContainer container;

  private ContainerKafka(KafkaContainer container) {
    this.container = container;
  }

  /** Starts the container (the extension checked that a Docker engine is reachable). */
  static ContainerKafka start() {
    String image = System.getProperty("capsule.it.kafka.image", DEFAULT_IMAGE);
    KafkaContainer container = new KafkaContainer(image);
    container.start();
    return new ContainerKafka(container);
  }

  /** Whether Testcontainers can reach a Docker engine. */
  static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  String bootstrapServers() {
    return container.getBootstrapServers();
  }

  @Override
  public void close() {
    container.stop();
  }
}
