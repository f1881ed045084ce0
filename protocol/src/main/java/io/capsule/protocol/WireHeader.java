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

  private WireHeader() {}

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
