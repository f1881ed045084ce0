package io.capsule.worker.internal;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.TaskRequest;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** Reads a fetched record as a task request, or says why it cannot. */
public final class RecordIntake {
  private RecordIntake() {}

  /** The result of reading: a request, or the reason it is unreadable. */
  public record Read(TaskRequest request, String unreadable) {}

  /** Reads the record's value; never throws. */
  public static Read read(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null || record.value().length == 0) {
      return new Read(null, "empty record value");
    }
    try {
      String json = new String(record.value(), StandardCharsets.UTF_8);
      return new Read(CapsuleJson.read(json, TaskRequest.class), null);
    } catch (RuntimeException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return new Read(null, why.lines().findFirst().orElse(why));
    }
  }

  /** The {@code traceparent} header's value, or {@code null}. */
  public static String traceparent(ConsumerRecord<String, byte[]> record) {
    Header header = record.headers().lastHeader(OutputPublisher.TRACEPARENT_HEADER);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
