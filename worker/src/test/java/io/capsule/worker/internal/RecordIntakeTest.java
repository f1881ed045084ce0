package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.WireHeader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Hostile records at the intake: whatever a producer writes, the worker's outputs stay bounded. */
class RecordIntakeTest {
  /** The broker's and producer's default record limit (message.max.bytes, max.request.size). */
  private static final int DEFAULT_RECORD_LIMIT = 1024 * 1024;

  private static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  private final MockOutputs outputs = new MockOutputs();
  private final Admission admission = new Admission(1, 64 * Tasks.MIB);
  private final RecordIntake intake =
      new RecordIntake(
          (item, release) -> {
            throw new AssertionError("nothing runs here");
          },
          outputs.outcomes,
          new CancelWatch(new MockConsumer<>("earliest"), MockOutputs.TOPICS.cancels()),
          admission,
          Runnable::run,
          new RecordIntake.Ram(64 * Tasks.MIB, 4096 * Tasks.MIB));

  private static ConsumerRecord<String, byte[]> record(String key, byte[] value, String trace) {
    RecordHeaders headers = new RecordHeaders();
    if (trace != null) {
      headers.add(WireHeader.TRACEPARENT, trace.getBytes(StandardCharsets.UTF_8));
    }
    return new ConsumerRecord<>(
        MockOutputs.LOW,
        0,
        3,
        System.currentTimeMillis(),
        TimestampType.CREATE_TIME,
        -1,
        -1,
        key,
        value,
        headers,
        Optional.empty(),
        Optional.empty());
  }

  private RecordIntake.Taken take(ConsumerRecord<String, byte[]> record) {
    return intake.take(record, "low", TaskItem.Delivery.FIRST);
  }

  @Test
  void aRequestThatIsNotUtf8IsDeadLetteredAsUnreadableSayingSo() {
    byte[] value = "{\"id\":\"t-?\"}".getBytes(StandardCharsets.UTF_8);
    value[9] = (byte) 0xff; // the '?': a byte no UTF-8 text holds

    RecordIntake.Taken taken = take(record("t-1", value, null));

    assertThat(taken.runnable()).isFalse();
    DeadLetter letter = outputs.first(MockOutputs.TOPICS.deadLetters(), DeadLetter.class);
    assertThat(letter.reason()).isEqualTo(DeadLetter.UNREADABLE);
    assertThat(letter.message()).contains("UTF-8");
  }

  @Test
  void aHugeUnreadableRecordIsDeadLetteredCutToFitADefaultSizedRecord() {
    byte[] value = new byte[900 * 1024];
    Arrays.fill(value, (byte) '{');
    String key = "k".repeat(300_000);

    RecordIntake.Taken taken = take(record(key, value, null));

    assertThat(taken.runnable()).isFalse();
    ProducerRecord<String, byte[]> sent = outputs.sent().get(0);
    assertThat(sent.value().length + sent.key().length()).isLessThan(DEFAULT_RECORD_LIMIT);
    DeadLetter letter = outputs.first(MockOutputs.TOPICS.deadLetters(), DeadLetter.class);
    assertThat(letter.reason()).isEqualTo(DeadLetter.UNREADABLE);
    assertThat(letter.raw()).hasSize(RecordIntake.MAX_RAW_BYTES);
    assertThat(letter.taskId()).isEqualTo("k".repeat(200));
    assertThat(letter.message())
        .contains("key cut to its first 200 of 300000 characters")
        .contains("value cut to its first 524288 of 921600 bytes");
  }

  @Test
  void aTombstoneIsDeadLetteredAsAnEmptyValue() {
    take(record(null, null, null));

    DeadLetter letter = outputs.first(MockOutputs.TOPICS.deadLetters(), DeadLetter.class);
    assertThat(letter.message()).isEqualTo("empty record value");
    assertThat(letter.raw()).isNull();
  }

  @Test
  void aW3cTraceparentTravelsWithTheTask() {
    var request = Tasks.request();
    byte[] value = CapsuleJson.write(request).getBytes(StandardCharsets.UTF_8);

    RecordIntake.Taken taken = take(record(request.id(), value, TRACE));

    assertThat(taken.runnable()).isTrue();
    assertThat(taken.item().traceparent()).isEqualTo(TRACE);
  }

  @Test
  void aTraceparentOfAnyOtherFormIsIgnoredAndNeverCopiedOntoOutputs() {
    var request =
        Tasks.request(
            io.capsule.protocol.TaskOptions.builder()
                .ram(io.capsule.protocol.ByteSize.parse("1GB"))
                .build());
    byte[] value = CapsuleJson.write(request).getBytes(StandardCharsets.UTF_8);
    String hostile = "00-" + "a".repeat(500_000);

    RecordIntake.Taken taken =
        intake.take(record(request.id(), value, hostile), "low", TaskItem.Delivery.FIRST);

    assertThat(taken.item().traceparent()).isNull();
    // refused (1 GB never fits 64 MiB): its outputs carry no traceparent header at all
    assertThat(outputs.sent()).hasSize(3);
    assertThat(outputs.sent())
        .allSatisfy(r -> assertThat(r.headers().lastHeader(WireHeader.TRACEPARENT)).isNull());
  }
}
