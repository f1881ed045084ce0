package io.capsule.protocol;

import java.util.Map;

/**
 * The one consumer-settings policy of every reader of contract topics (the worker's task consumers
 * and ledger, the client's reply and event readers, the gateway's board, the chaos bench's audit),
 * in Kafka's property names (this module has no Kafka dependency). A worker in transactional output
 * mode writes its outputs inside Kafka transactions; a reader with Kafka's default {@code
 * isolation.level=read_uncommitted} would see the records of open transactions, and of aborted ones
 * (a fenced zombie's), so it could read a second final envelope that never counted. Reading only
 * committed records costs nothing on records written outside transactions.
 */
public final class ConsumerSettings {
  /** What a reader needs to see only committed outputs; nothing overrides it. */
  public static final Map<String, String> GUARANTEES = Map.of("isolation.level", "read_committed");

  private ConsumerSettings() {}

  /**
   * Puts the {@link #GUARANTEES} into a consumer's properties, over whatever an operator set.
   *
   * @param props a consumer's properties (a {@code Properties} or a map keyed by string)
   */
  public static void enforce(Map<? super String, Object> props) {
    props.putAll(GUARANTEES);
  }
}
