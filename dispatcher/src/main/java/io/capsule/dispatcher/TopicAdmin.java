package io.capsule.dispatcher;

import io.capsule.dispatcher.internal.KafkaSettings;
import io.capsule.protocol.TopicSpec;
import io.capsule.protocol.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates and describes the contract's topics. Creation is idempotent: topics that already exist
 * are reported, not changed. Only this class needs admin rights; the dispatcher and workers run
 * with produce/consume rights alone when topics are pre-created.
 *
 * <p>Layout: {@link Topics#specs()}, the contract's one list of topics and their settings.
 */
public final class TopicAdmin implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Admin admin;
  private final Topics topics;

  private TopicAdmin(FleetConnection connection) {
    this.admin = Admin.create(KafkaSettings.admin(connection));
    this.topics = connection.topics();
  }

  /** Connects an admin client. */
  public static TopicAdmin connect(FleetConnection connection) {
    return new TopicAdmin(connection);
  }

  /**
   * What a topic looks like on the cluster.
   *
   * @param name the topic name
   * @param partitions its partition count, or 0 when it does not exist
   * @param replicationFactor replicas per partition, or 0 when it does not exist
   * @param configs the contract-relevant configs in effect (cleanup, retention, sizes)
   * @param created whether this call created it
   */
  public record TopicStatus(
      String name,
      int partitions,
      int replicationFactor,
      Map<String, String> configs,
      boolean created) {
    /** Copies the configs. */
    public TopicStatus {
      configs = Map.copyOf(configs);
    }

    /** Whether the topic exists. */
    public boolean exists() {
      return partitions > 0;
    }
  }

  /**
   * Creates the contract's topics that do not exist yet.
   *
   * @param partitions partitions of each new topic
   * @param replicationFactor replicas per partition, or empty for the broker's default
   * @return the status of every contract topic after the call
   */
  public List<TopicStatus> create(int partitions, Optional<Short> replicationFactor) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1");
    }
    List<String> created = new ArrayList<>();
    for (TopicSpec spec : topics.specs()) {
      NewTopic topic =
          new NewTopic(spec.name(), Optional.of(partitions), replicationFactor)
              .configs(spec.configs());
      if (createOne(topic)) {
        created.add(spec.name());
      }
    }
    return describe(created);
  }

  /** The status of every contract topic; missing ones have zero partitions. */
  public List<TopicStatus> describe() {
    return describe(List.of());
  }

  private boolean createOne(NewTopic topic) {
    try {
      get(admin.createTopics(List.of(topic)).all());
      return true;
    } catch (DispatcherException e) {
      if (e.getCause() instanceof TopicExistsException) {
        return false;
      }
      throw e;
    }
  }

  private List<TopicStatus> describe(Collection<String> created) {
    List<TopicStatus> statuses = new ArrayList<>();
    for (TopicSpec spec : topics.specs()) {
      statuses.add(describeOne(spec, created.contains(spec.name())));
    }
    return List.copyOf(statuses);
  }

  private TopicStatus describeOne(TopicSpec spec, boolean created) {
    TopicDescription description;
    try {
      description =
          get(admin.describeTopics(List.of(spec.name())).topicNameValues().get(spec.name()));
    } catch (DispatcherException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return new TopicStatus(spec.name(), 0, 0, Map.of(), false);
      }
      throw e;
    }
    int replicas = description.partitions().get(0).replicas().size();
    return new TopicStatus(
        spec.name(), description.partitions().size(), replicas, configs(spec.name()), created);
  }

  private Map<String, String> configs(String topic) {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config config = get(admin.describeConfigs(List.of(resource)).values().get(resource));
    Map<String, String> shown = new LinkedHashMap<>();
    for (String name :
        List.of(
            TopicConfig.CLEANUP_POLICY_CONFIG,
            TopicConfig.RETENTION_MS_CONFIG,
            TopicConfig.MAX_MESSAGE_BYTES_CONFIG)) {
      ConfigEntry entry = config.get(name);
      if (entry != null && entry.value() != null) {
        shown.put(name, entry.value());
      }
    }
    return shown;
  }

  private static <T> T get(KafkaFuture<T> future) {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new DispatcherException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new DispatcherException("Kafka did not answer within " + TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DispatcherException("interrupted", e);
    }
  }

  /** Closes the admin client. */
  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }
}
