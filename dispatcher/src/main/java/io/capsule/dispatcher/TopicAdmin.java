package io.capsule.dispatcher;

import io.capsule.dispatcher.internal.KafkaSettings;
import io.capsule.protocol.TopicReplication;
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
  private static final long METADATA_POLL_MS = 100;

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
   * Creates the contract's topics that do not exist yet, with the broker's replication settings.
   *
   * @param partitions partitions of each new topic
   * @param replicationFactor replicas per partition, or empty for the broker's default
   * @return the status of every contract topic after the call
   */
  public List<TopicStatus> create(int partitions, Optional<Short> replicationFactor) {
    return create(
        partitions, new TopicReplication(replicationFactor.map(Short::intValue).orElse(0), 0));
  }

  /**
   * Creates the contract's topics that do not exist yet and waits until the cluster's metadata
   * shows every contract topic with a leader for each partition (a broker answers for a new topic
   * only once the controller's record reached it), so the statuses returned are the cluster's state
   * and a second call reports the same topics. Existing topics are left as they are.
   *
   * @param partitions partitions of each new topic
   * @param replication replicas and {@code min.insync.replicas} of each new topic
   * @return the status of every contract topic after the call
   * @throws DispatcherException if Kafka refuses a creation (other than "exists") or the topics do
   *     not show up within 30 s
   */
  public List<TopicStatus> create(int partitions, TopicReplication replication) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1");
    }
    Optional<Short> factor =
        replication.factor() == 0 ? Optional.empty() : Optional.of((short) replication.factor());
    List<String> created = new ArrayList<>();
    for (TopicSpec spec : topics.specs()) {
      NewTopic topic =
          new NewTopic(spec.name(), Optional.of(partitions), factor)
              .configs(spec.configs(replication));
      if (createOne(topic)) {
        created.add(spec.name());
      }
    }
    Map<String, TopicDescription> led = awaitLeaders();
    List<TopicStatus> statuses = new ArrayList<>();
    for (TopicSpec spec : topics.specs()) {
      TopicDescription topic = led.get(spec.name());
      statuses.add(status(spec.name(), topic, created.contains(spec.name())));
    }
    return List.copyOf(statuses);
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

  /**
   * Polls the metadata until every contract topic has a leader on each partition.
   *
   * @return the descriptions that showed it
   */
  private Map<String, TopicDescription> awaitLeaders() {
    List<String> names = topics.specs().stream().map(TopicSpec::name).toList();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      Optional<Map<String, TopicDescription>> found = ledTopics(names);
      if (found.isPresent()) {
        return found.get();
      }
      if (System.nanoTime() > deadline) {
        throw new DispatcherException(
            "the contract's topics did not show up in the cluster's metadata within " + TIMEOUT);
      }
      pause();
    }
  }

  private Optional<Map<String, TopicDescription>> ledTopics(List<String> names) {
    try {
      Map<String, TopicDescription> found =
          admin
              .describeTopics(names)
              .allTopicNames()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      boolean led =
          found.values().stream()
              .allMatch(t -> t.partitions().stream().allMatch(p -> p.leader() != null));
      return led ? Optional.of(found) : Optional.empty();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return Optional.empty();
      }
      throw new DispatcherException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DispatcherException("interrupted", e);
    }
  }

  private static void pause() {
    try {
      TimeUnit.MILLISECONDS.sleep(METADATA_POLL_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DispatcherException("interrupted", e);
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
    return status(spec.name(), description, created);
  }

  private TopicStatus status(String name, TopicDescription description, boolean created) {
    int replicas = description.partitions().get(0).replicas().size();
    return new TopicStatus(name, description.partitions().size(), replicas, configs(name), created);
  }

  /**
   * The topic's contract-relevant configs. A broker whose metadata does not have a new topic yet
   * answers "unknown topic"; that is waited out (up to 30 s) like the topic's leaders.
   */
  private Map<String, String> configs(String topic) {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        return shownConfigs(get(admin.describeConfigs(List.of(resource)).values().get(resource)));
      } catch (DispatcherException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        pause();
      }
    }
  }

  private static Map<String, String> shownConfigs(Config config) {
    Map<String, String> shown = new LinkedHashMap<>();
    for (String name :
        List.of(
            TopicConfig.CLEANUP_POLICY_CONFIG,
            TopicConfig.RETENTION_MS_CONFIG,
            TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
            TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG)) {
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
