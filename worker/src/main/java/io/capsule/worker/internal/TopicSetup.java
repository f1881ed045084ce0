package io.capsule.worker.internal;

import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.TopicSpec;
import io.capsule.protocol.Topics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the contract's topics that are missing, with the settings of the contract's one list
 * ({@link Topics#specs()}, as {@code capsule topics create} does). Topics that exist are left
 * alone; a cluster that refuses (no admin rights) is logged, not fatal: pre-created topics need no
 * admin rights.
 */
public final class TopicSetup {
  private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  /**
   * Creates what is missing among the contract's topics: those of {@code levels} (the levels this
   * worker serves) and every topic that is not a level's. New topics get the broker's default
   * partition count and replication.
   */
  public static void createMissing(Admin admin, Topics topics, Collection<ComputeLevel> levels) {
    List<NewTopic> wanted = new ArrayList<>();
    for (TopicSpec spec : topics.specs()) {
      if (spec.level() == null || levels.contains(spec.level())) {
        wanted.add(
            new NewTopic(spec.name(), Optional.empty(), Optional.empty()).configs(spec.configs()));
      }
    }
    admin
        .createTopics(wanted)
        .values()
        .forEach(
            (name, future) -> {
              try {
                future.get(30, TimeUnit.SECONDS);
                LOG.info("created topic {}", name);
              } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                  LOG.warn("could not create topic {}: {}", name, e.getCause().toString());
                }
              } catch (TimeoutException e) {
                LOG.warn("creating topic {} timed out", name);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
  }

  /**
   * Sets {@code share.auto.offset.reset=earliest} on a share group (it defaults to {@code latest},
   * which would skip tasks produced before the first worker joined). A refusal is logged.
   */
  public static void readShareGroupFromEarliest(Admin admin, String groupId) {
    ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, groupId);
    AlterConfigOp op =
        new AlterConfigOp(
            new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET);
    try {
      admin.incrementalAlterConfigs(Map.of(group, List.of(op))).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("could not set share.auto.offset.reset on {}: {}", groupId, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
