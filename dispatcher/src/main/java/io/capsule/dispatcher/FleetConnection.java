package io.capsule.dispatcher;

import io.capsule.protocol.Topics;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Where the fleet is: Kafka's {@code bootstrap.servers}, the topic names and any further Kafka
 * client properties (security protocol, SASL, TLS stores, timeouts...). Shared by {@link
 * CapsuleClient}, {@link DeadLetterReplayer} and {@link TopicAdmin}. Immutable; each {@code withX}
 * returns a copy.
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}; may be {@code null} when the properties
 *     carry it
 * @param topics topic names (default prefix {@code capsule})
 * @param properties any Kafka client properties, applied to every client this library creates; they
 *     win over its defaults but not over its essentials (serializers)
 * @param clientId the {@code client.id} stem of the clients created (default {@code capsule})
 */
public record FleetConnection(
    String bootstrapServers, Topics topics, Map<String, String> properties, String clientId) {

  /** Validates and copies. */
  public FleetConnection {
    Objects.requireNonNull(topics, "topics");
    properties = Map.copyOf(properties);
    clientId = clientId == null || clientId.isBlank() ? "capsule" : clientId;
    if ((bootstrapServers == null || bootstrapServers.isBlank())
        && !properties.containsKey("bootstrap.servers")) {
      throw new IllegalArgumentException("bootstrap servers are required");
    }
  }

  /** A connection to the given {@code bootstrap.servers} with the default topic names. */
  public static FleetConnection of(String bootstrapServers) {
    return new FleetConnection(bootstrapServers, Topics.DEFAULT, Map.of(), null);
  }

  /** A copy with topic names under another prefix. */
  public FleetConnection withTopicPrefix(String prefix) {
    return new FleetConnection(bootstrapServers, new Topics(prefix), properties, clientId);
  }

  /** A copy with these Kafka properties added (later values win). */
  public FleetConnection withProperties(Map<String, String> more) {
    Map<String, String> merged = new LinkedHashMap<>(properties);
    merged.putAll(more);
    return new FleetConnection(bootstrapServers, topics, merged, clientId);
  }

  /** A copy with the properties of a Java properties file added (e.g. SASL_SSL settings). */
  public FleetConnection withPropertiesFile(Path file) {
    Properties loaded = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      loaded.load(reader);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Kafka config " + file, e);
    }
    Map<String, String> map = new LinkedHashMap<>();
    loaded.stringPropertyNames().forEach(k -> map.put(k, loaded.getProperty(k)));
    return withProperties(map);
  }

  /** A copy with another {@code client.id} stem. */
  public FleetConnection withClientId(String clientId) {
    return new FleetConnection(bootstrapServers, topics, properties, clientId);
  }

  @Override
  public String toString() {
    // Properties may hold secrets (sasl.jaas.config, key passwords): names only.
    return "FleetConnection["
        + bootstrapServers
        + ", "
        + topics.prefix()
        + ", "
        + properties.keySet()
        + "]";
  }
}
