package io.capsule.protocol;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The record header names of the Kafka contract (see {@code docs/kafka-contract.md}): every record
 * about a task carries its value's schema and the task id; a trace context travels with it.
 */
public final class WireHeader {
  /** The value's schema, e.g. {@value TaskRequest#SCHEMA}. */
  public static final String SCHEMA = "capsule-schema";

  /** The task id (equal to the record key). */
  public static final String TASK_ID = "capsule-task-id";

  /** The W3C trace context. */
  public static final String TRACEPARENT = "traceparent";

  /**
   * On a {@code running} event: which delivery of its attempt's record it is (1 = the first worker
   * to run it); the ledger counts deliveries that never reached an outcome with it.
   */
  public static final String DELIVERY = "capsule-delivery";

  // W3C trace context, version 00 layout: version, 32-hex trace id, 16-hex span id, flags, with a
  // dash at each of these indexes and lower-case hex digits everywhere else
  private static final int[] TRACEPARENT_DASHES = {2, 35, 52};
  private static final String ZERO_TRACE_ID = "0".repeat(32);
  private static final String ZERO_SPAN_ID = "0".repeat(16);

  private WireHeader() {}

  /**
   * Whether {@code value} is a W3C {@code traceparent} a worker may copy onto its outputs: the
   * version-00 layout (55 characters), not version {@code ff}, trace and span ids not all zero. A
   * producer's header is otherwise ignored, as the W3C recommendation says, so that no record can
   * make a worker's outputs carry an arbitrary (or arbitrarily large) header.
   */
  public static boolean isTraceparent(String value) {
    return value != null
        && value.length() == 55
        && hasTraceparentLayout(value)
        && !value.startsWith("ff")
        && !value.startsWith(ZERO_TRACE_ID, 3)
        && !value.startsWith(ZERO_SPAN_ID, 36);
  }

  /**
   * Dashes where the layout has them and lower-case hex digits elsewhere (no pattern per record).
   */
  private static boolean hasTraceparentLayout(String value) {
    int dash = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (dash < TRACEPARENT_DASHES.length && i == TRACEPARENT_DASHES[dash]) {
        if (c != '-') {
          return false;
        }
        dash++;
      } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
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
}
