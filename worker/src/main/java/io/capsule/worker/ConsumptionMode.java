package io.capsule.worker;

import java.util.Locale;

/** How a worker consumes a level's task topic. */
public enum ConsumptionMode {
  /**
   * A classic consumer group ({@code PREFIX-workers-LEVEL}) with paused partitions and out-of-order
   * completion tracking: fast, works on every broker. The default.
   */
  CLASSIC,
  /** A Kafka 4.2+ share group with explicit acknowledgements, one record per poll. */
  SHARE;

  /** Parses {@code classic} or {@code share}, in any case. */
  public static ConsumptionMode parse(String text) {
    try {
      return valueOf(text.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("mode must be classic or share, not '" + text + "'", e);
    }
  }
}
