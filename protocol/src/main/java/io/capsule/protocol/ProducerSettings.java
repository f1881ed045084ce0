package io.capsule.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * The one producer-settings policy of the worker and the dispatcher, in Kafka's property names
 * (this module has no Kafka dependency): shared defaults, then the role's defaults, then the
 * operator's properties (security, timeouts, tuning), then the delivery {@link #GUARANTEES}, which
 * nothing overrides — a fleet that produced with {@code acks=1} or without idempotence would lose
 * or duplicate final envelopes silently, so an operator's {@code acks} or {@code
 * enable.idempotence} is replaced, not obeyed.
 */
public final class ProducerSettings {
  /** What at-least-once delivery with one final envelope per task id depends on. */
  public static final Map<String, String> GUARANTEES =
      Map.of("enable.idempotence", "true", "acks", "all");

  /**
   * Defaults every producer starts from (an operator may change them). One request in flight:
   * KAFKA-14359 — with several in flight, an idempotent producer whose first request timed out
   * (seen under heavy CPU load) can retry {@code OUT_OF_ORDER_SEQUENCE_NUMBER} until its delivery
   * timeout; batches grow while the one request waits instead.
   */
  public static final Map<String, String> DEFAULTS =
      Map.of("max.in.flight.requests.per.connection", "1");

  /**
   * The client's (dispatcher's) {@code linger.ms}: none. A submission is one send (two in a row
   * when the client publishes queued events: the event, acknowledged, then the request), so a
   * linger would add to every task's latency; under load batches still form behind the one request
   * in flight.
   */
  public static final int CLIENT_LINGER_MS = 0;

  /** A worker's output producer's {@code linger.ms}: a task's records leave as one batch. */
  public static final int WORKER_LINGER_MS = 2;

  private ProducerSettings() {}

  /**
   * A producer's properties: {@link #DEFAULTS}, {@code roleDefaults}, {@code operator}, then {@link
   * #GUARANTEES}, each over the one before.
   *
   * @param operator the operator's properties (keys are read as strings)
   * @param roleDefaults the producing role's own defaults, e.g. its {@code linger.ms}
   */
  public static Map<String, Object> over(Map<?, ?> operator, Map<String, ?> roleDefaults) {
    Map<String, Object> props = new HashMap<>(DEFAULTS);
    props.putAll(roleDefaults);
    operator.forEach((key, value) -> props.put(String.valueOf(key), value));
    props.putAll(GUARANTEES);
    return props;
  }
}
