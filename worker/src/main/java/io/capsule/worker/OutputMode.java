package io.capsule.worker;

import java.util.Locale;

/** How a worker writes the outputs of a task's attempt and commits the offset of its request. */
public enum OutputMode {
  /**
   * Each output is a separate idempotent send, fenced by the worker's lease; the request's offset
   * is committed once they are acknowledged. At least once: two narrow windows (see {@code
   * docs/kafka-contract.md}) can still write a second final envelope. The default.
   */
  IDEMPOTENT,
  /**
   * An attempt's outputs and the advance of its request's offset are committed in one Kafka
   * transaction, fenced by the consumer group's generation (KIP-447): a reader with {@code
   * isolation.level=read_committed} sees one final envelope per task id. Classic mode only.
   */
  TRANSACTIONAL;

  /** Parses {@code idempotent} or {@code transactional}, in any case. */
  public static OutputMode parse(String text) {
    try {
      return valueOf(text.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "outputs must be idempotent or transactional, not '" + text + "'", e);
    }
  }
}
