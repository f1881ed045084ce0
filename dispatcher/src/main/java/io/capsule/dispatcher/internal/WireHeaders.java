package io.capsule.dispatcher.internal;

import io.capsule.protocol.WireHeader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers every record of the contract carries: schema version, task id and a W3C {@code
 * traceparent} (see docs/kafka-contract.md).
 */
public final class WireHeaders {
  /** Header with the value's schema, e.g. {@code capsule.task/v1}. */
  public static final String SCHEMA = WireHeader.SCHEMA;

  /** Header with the task id (equal to the record key). */
  public static final String TASK_ID = WireHeader.TASK_ID;

  /** W3C trace context header. */
  public static final String TRACEPARENT = WireHeader.TRACEPARENT;

  private WireHeaders() {}

  /** Headers for a record about one task, with a fresh sampled trace. */
  public static Headers of(String schema, String taskId) {
    return of(schema, taskId, newTraceparent());
  }

  /** Headers for a record about one task, within the given trace. */
  public static Headers of(String schema, String taskId, String traceparent) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(SCHEMA, bytes(schema));
    headers.add(TASK_ID, bytes(taskId));
    headers.add(TRACEPARENT, bytes(traceparent));
    return headers;
  }

  /** A new W3C traceparent: version 00, random trace and span ids, sampled. */
  public static String newTraceparent() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    byte[] trace = new byte[16];
    byte[] span = new byte[8];
    random.nextBytes(trace);
    random.nextBytes(span);
    trace[0] |= 1; // an all-zero id is invalid
    span[0] |= 1;
    HexFormat hex = HexFormat.of();
    return "00-" + hex.formatHex(trace) + "-" + hex.formatHex(span) + "-01";
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
