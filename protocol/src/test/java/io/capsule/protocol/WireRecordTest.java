package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WireRecordTest {
  @Test
  void aTaskRecordCarriesSchemaTaskIdAndTraceInThatOrder() {
    TaskCancel cancel = TaskCancel.of("t-1", "me");
    WireRecord record =
        WireRecord.json("capsule.cancels", TaskCancel.SCHEMA, "t-1", cancel, "00-ab-cd-01");

    assertThat(record.topic()).isEqualTo("capsule.cancels");
    assertThat(record.key()).isEqualTo("t-1");
    assertThat(record.headers().keySet())
        .containsExactly(WireHeader.SCHEMA, WireHeader.TASK_ID, WireHeader.TRACEPARENT);
    assertThat(record.header(WireHeader.SCHEMA)).isEqualTo(TaskCancel.SCHEMA);
    assertThat(record.header(WireHeader.TASK_ID)).isEqualTo("t-1");
    assertThat(record.header(WireHeader.TRACEPARENT)).isEqualTo("00-ab-cd-01");
    assertThat(
            CapsuleJson.read(new String(record.value(), StandardCharsets.UTF_8), TaskCancel.class))
        .isEqualTo(cancel);
  }

  @Test
  void absentTaskIdAndTraceAreLeftOutAndExtraHeadersFollow() {
    WireRecord record =
        WireRecord.of("t", "k", new byte[] {1}, "s/v1", null, null).withHeader("x", "2");

    assertThat(record.headers().keySet()).containsExactly(WireHeader.SCHEMA, "x");
    assertThat(record.header("x")).isEqualTo("2");
  }

  @Test
  void aNewTraceparentIsAValidSampledW3cContext() {
    assertThat(WireHeader.newTraceparent()).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
    assertThat(WireHeader.newTraceparent()).isNotEqualTo(WireHeader.newTraceparent());
  }

  @Test
  void onlyAW3cTraceparentIsOne() {
    assertThat(WireHeader.isTraceparent(WireHeader.newTraceparent())).isTrue();
    assertThat(WireHeader.isTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        .isTrue();
    assertThat(WireHeader.isTraceparent(null)).isFalse();
    assertThat(WireHeader.isTraceparent("00-" + "a".repeat(100_000))).isFalse();
    assertThat(WireHeader.isTraceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"))
        .isFalse();
    assertThat(WireHeader.isTraceparent("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        .isFalse();
    assertThat(WireHeader.isTraceparent("00-" + "0".repeat(32) + "-b7ad6b7169203331-01")).isFalse();
    assertThat(
            WireHeader.isTraceparent(
                "00-0af7651916cd43dd8448eb211c80319c-" + "0".repeat(16) + "-01"))
        .isFalse();
    assertThat(
            WireHeader.isTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n"))
        .isFalse();
    // 55 characters, but a dash moved, missing or doubled, or a character that is no hex digit
    assertThat(WireHeader.isTraceparent("000-af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        .isFalse();
    assertThat(WireHeader.isTraceparent("00-0af7651916cd43dd8448eb211c80319cbb7ad6b7169203331-01"))
        .isFalse();
    assertThat(WireHeader.isTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331--1"))
        .isFalse();
    assertThat(WireHeader.isTraceparent("00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01"))
        .isFalse();
    assertThat(WireHeader.isTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0 "))
        .isFalse();
  }
}
