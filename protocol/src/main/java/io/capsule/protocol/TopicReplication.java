package io.capsule.protocol;

import java.util.Map;

/**
 * How the contract's topics are replicated when they are created: replicas per partition and the
 * replicas that must acknowledge a write ({@code min.insync.replicas}). Zero leaves a setting to
 * the broker's default. A production cluster of three or more brokers wants {@link #SAFE}: one
 * broker may die without losing an acknowledged write or refusing new ones.
 *
 * @param factor replicas per partition, or 0 for the broker's {@code default.replication.factor}
 * @param minInsyncReplicas replicas that must have a write before {@code acks=all} succeeds, or 0
 *     for the broker's {@code min.insync.replicas}
 */
public record TopicReplication(int factor, int minInsyncReplicas) {
  /** Both settings from the broker. */
  public static final TopicReplication BROKER_DEFAULT = new TopicReplication(0, 0);

  /** Three replicas, two in sync. */
  public static final TopicReplication SAFE = new TopicReplication(3, 2);

  /**
   * Validates the settings.
   *
   * @throws InvalidRequestException for a negative value, a factor above Kafka's limit, or more
   *     in-sync replicas than replicas
   */
  public TopicReplication {
    if (factor < 0 || factor > Short.MAX_VALUE) {
      throw new InvalidRequestException(
          "replication factor must be 1.."
              + Short.MAX_VALUE
              + " (0 = broker default), was "
              + factor);
    }
    if (minInsyncReplicas < 0) {
      throw new InvalidRequestException(
          "min.insync.replicas must be at least 1 (0 = broker default), was " + minInsyncReplicas);
    }
    if (factor > 0 && minInsyncReplicas > factor) {
      throw new InvalidRequestException(
          "min.insync.replicas "
              + minInsyncReplicas
              + " is more than the "
              + factor
              + " replicas: no write could succeed");
    }
  }

  /** The topic configs these settings add: {@code min.insync.replicas} when it is set. */
  public Map<String, String> configs() {
    return minInsyncReplicas == 0
        ? Map.of()
        : Map.of("min.insync.replicas", Integer.toString(minInsyncReplicas));
  }
}
