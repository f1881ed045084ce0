package io.capsule.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One record of the Kafka contract before it meets a Kafka client: topic, key, value and the
 * headers every record carries ({@link WireHeader#SCHEMA}, {@link WireHeader#TASK_ID} and, when
 * known, {@link WireHeader#TRACEPARENT}). The worker and the dispatcher build their records here
 * and only copy them into Kafka's type.
 */
public final class WireRecord {
  private final String topic;
  private final String key;
  private final byte[] value;
  private final Map<String, byte[]> headers;

  private WireRecord(String topic, String key, byte[] value, Map<String, byte[]> headers) {
    this.topic = Objects.requireNonNull(topic, "topic");
    this.key = key;
    this.value = Objects.requireNonNull(value, "value");
    this.headers = headers;
  }

  /**
   * A record of {@code value} under {@code key}, whose value has {@code schema} and which is about
   * {@code taskId} ({@code null}: no task-id header); {@code traceparent} may be {@code null}.
   */
  public static WireRecord of(
      String topic, String key, byte[] value, String schema, String taskId, String traceparent) {
    Map<String, byte[]> headers = new LinkedHashMap<>();
    headers.put(WireHeader.SCHEMA, utf8(Objects.requireNonNull(schema, "schema")));
    if (taskId != null) {
      headers.put(WireHeader.TASK_ID, utf8(taskId));
    }
    if (traceparent != null) {
      headers.put(WireHeader.TRACEPARENT, utf8(traceparent));
    }
    return new WireRecord(topic, key, value, headers);
  }

  /** A record about task {@code taskId}, keyed by it, with {@code value} written as JSON. */
  public static WireRecord json(
      String topic, String schema, String taskId, Object value, String traceparent) {
    return of(topic, taskId, CapsuleJson.writeBytes(value), schema, taskId, traceparent);
  }

  /** This record with one more header (replacing one of the same name). */
  public WireRecord withHeader(String name, String text) {
    Map<String, byte[]> more = new LinkedHashMap<>(headers);
    more.put(Objects.requireNonNull(name, "name"), utf8(text));
    return new WireRecord(topic, key, value, more);
  }

  /** The topic it goes to. */
  public String topic() {
    return topic;
  }

  /** Its key, or {@code null}. */
  public String key() {
    return key;
  }

  /** Its value (not copied: do not change it). */
  public byte[] value() {
    return value;
  }

  /** Its headers in the order they are written, values UTF-8. */
  public Map<String, byte[]> headers() {
    return Collections.unmodifiableMap(headers);
  }

  /** A header's value as text, or {@code null} when absent. */
  public String header(String name) {
    byte[] bytes = headers.get(name);
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
