package io.capsule.dispatcher.internal;

import io.capsule.dispatcher.FleetConnection;
import io.capsule.protocol.ConsumerSettings;
import io.capsule.protocol.ProducerSettings;
import io.capsule.protocol.TopicSpec;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka client properties: our defaults, then the user's properties, then our essentials (serdes,
 * offset handling, the producer's delivery guarantees) which nothing overrides.
 */
public final class KafkaSettings {
  /** The largest module the producer sends (the modules topic allows the same plus overhead). */
  public static final int MAX_MODULE_BYTES = TopicSpec.MAX_MODULE_BYTES;

  /** The client's {@code linger.ms} ({@link ProducerSettings#CLIENT_LINGER_MS}). */
  public static final int LINGER_MS = ProducerSettings.CLIENT_LINGER_MS;

  private KafkaSettings() {}

  /**
   * Properties for an idempotent producer of string keys and byte values, by the fleet's one {@link
   * ProducerSettings} policy (the user's properties cannot weaken its guarantees).
   */
  public static Properties producer(FleetConnection connection, String role) {
    Map<String, Object> roleDefaults =
        Map.of(
            ProducerConfig.LINGER_MS_CONFIG, Integer.toString(LINGER_MS),
            ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000",
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Integer.toString(MAX_MODULE_BYTES + TopicSpec.RECORD_OVERHEAD_BYTES));
    Properties p = new Properties();
    p.putAll(ProducerSettings.over(base(connection, role), roleDefaults));
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  /**
   * Properties for a group-less consumer that reads by assignment and never commits, and reads only
   * committed records ({@link ConsumerSettings}).
   */
  public static Properties reader(FleetConnection connection, String role) {
    Properties p = base(connection, role);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    ConsumerSettings.enforce(p);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  /** Properties for an admin client. */
  public static Properties admin(FleetConnection connection) {
    return base(connection, "admin");
  }

  private static Properties base(FleetConnection connection, String role) {
    Properties p = new Properties();
    p.putAll(connection.properties());
    if (connection.bootstrapServers() != null && !connection.bootstrapServers().isBlank()) {
      p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, connection.bootstrapServers());
    }
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, connection.clientId() + "-" + role + "-" + suffix);
    return p;
  }
}
