package io.capsule.cli;

import io.capsule.dispatcher.FleetConnection;
import io.capsule.protocol.CapsuleException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Where the fleet's Kafka is: the flags every fleet command takes ({@link Cluster}); {@code capsule
 * up}, whose default is a broker of its own, takes {@link ForUp} (the same flags, its own help).
 */
abstract class KafkaFlags {
  /** Environment variable giving the default bootstrap servers. */
  static final String SERVERS_ENV = "CAPSULE_BOOTSTRAP_SERVERS";

  /** The Kafka flags of a command that talks to a cluster. */
  static final class Cluster extends KafkaFlags {
    @Option(
        names = "--bootstrap-servers",
        paramLabel = "HOST:PORT[,…]",
        description =
            "Kafka bootstrap servers (default: $CAPSULE_BOOTSTRAP_SERVERS, else localhost:9092).")
    String bootstrapServers;

    @Override
    String servers() {
      return bootstrapServers;
    }
  }

  /** The Kafka flags of {@code capsule up}: with no servers named, it starts an embedded broker. */
  static final class ForUp extends KafkaFlags {
    @Option(
        names = "--bootstrap-servers",
        paramLabel = "HOST:PORT[,…]",
        description =
            "Use this Kafka cluster instead of starting an embedded broker "
                + "(default: $CAPSULE_BOOTSTRAP_SERVERS if set, else an embedded broker).")
    String upServers;

    @Override
    String servers() {
      return upServers;
    }
  }

  /** The servers given on the command line, or {@code null}. */
  abstract String servers();

  @Option(
      names = "--topic-prefix",
      paramLabel = "PREFIX",
      defaultValue = "capsule",
      description = "Prefix of the topic names (default: ${DEFAULT-VALUE}).")
  String topicPrefix;

  @Option(
      names = "--kafka-config",
      paramLabel = "FILE",
      description = "Java properties file of Kafka client settings (SASL_SSL, mTLS, timeouts...).")
  Path kafkaConfig;

  @Option(
      names = "--kafka-property",
      paramLabel = "KEY=VALUE",
      description = "One Kafka client setting (repeatable; wins over --kafka-config).")
  List<String> kafkaProperties = List.of();

  /** Whether servers were given on the command line or in the environment. */
  boolean serversGiven() {
    return servers() != null || System.getenv(SERVERS_ENV) != null;
  }

  /** The connection these flags describe. */
  FleetConnection connection() {
    return connection(serversOrDefault());
  }

  /** The connection to the given servers with the other flags. */
  FleetConnection connection(String servers) {
    try {
      FleetConnection connection = FleetConnection.of(servers).withTopicPrefix(topicPrefix);
      if (kafkaConfig != null) {
        connection = connection.withPropertiesFile(kafkaConfig);
      }
      return connection.withProperties(properties()).withClientId("capsule-cli");
    } catch (UncheckedIOException e) {
      throw new UsageException(e.getMessage() + ": " + e.getCause().getMessage());
    } catch (CapsuleException | IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /** The extra Kafka properties, file first, then single settings. */
  Map<String, String> properties() {
    Map<String, String> map = new LinkedHashMap<>();
    for (String setting : kafkaProperties) {
      int eq = setting.indexOf('=');
      if (eq < 1) {
        throw new UsageException("--kafka-property needs KEY=VALUE, not '" + setting + "'");
      }
      map.put(setting.substring(0, eq), setting.substring(eq + 1));
    }
    return map;
  }

  private String serversOrDefault() {
    if (servers() != null) {
      return servers();
    }
    String env = System.getenv(SERVERS_ENV);
    return env != null && !env.isBlank() ? env : "localhost:9092";
  }
}
