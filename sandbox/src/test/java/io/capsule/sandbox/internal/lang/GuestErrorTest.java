package io.capsule.sandbox.internal.lang;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.CapsuleJson;
import org.junit.jupiter.api.Test;

/** What a guest reports is bounded and one line, whatever it sends. */
class GuestErrorTest {
  @Test
  void aReportNamesFileAndLine() {
    GuestError error =
        GuestError.of(
            CapsuleJson.readTree(
                "{\"type\":\"ZeroDivisionError\",\"text\":\"ZeroDivisionError: division by zero\","
                    + "\"file\":\"hello.py\",\"line\":12}"),
            false);
    assertThat(error.message()).isEqualTo("hello.py:12: ZeroDivisionError: division by zero");
    assertThat(error.isSyntaxError()).isFalse();
  }

  @Test
  void aPlainStringIsItsTextWithItsTypeBeforeTheColon() {
    GuestError error =
        GuestError.of(CapsuleJson.readTree("\"TypeError: x is not a function\""), true);
    assertThat(error.type()).isEqualTo("TypeError");
    assertThat(error.message()).isEqualTo("TypeError: x is not a function");
  }

  @Test
  void hostileFieldsAreCutToOneBoundedLine() {
    String huge = "y".repeat(1_000_000);
    GuestError error =
        new GuestError(
            "Syntax\nError" + huge, "first line " + huge + "\nsecond", "a\nb.py" + huge, -5, true);
    assertThat(error.type()).doesNotContain("\n").hasSizeLessThanOrEqualTo(200);
    assertThat(error.file()).doesNotContain("\n").hasSizeLessThanOrEqualTo(200);
    assertThat(error.text()).doesNotContain("\n").hasSizeLessThanOrEqualTo(GuestError.MAX_TEXT);
    assertThat(error.line()).isZero();
    assertThat(error.isSyntaxError()).as("not the type its first line names").isFalse();
    assertThat(error.message()).hasSizeLessThanOrEqualTo(GuestError.MAX_TEXT);
  }

  @Test
  void onlyAReportBeforeTheTasksCodeBeganCanBeASyntaxError() {
    assertThat(new GuestError("SyntaxError", "SyntaxError: x", "a.py", 3, true).isSyntaxError())
        .isTrue();
    assertThat(new GuestError("SyntaxError", "SyntaxError: x", "a.py", 3, false).isSyntaxError())
        .isFalse();
    assertThat(new GuestError("MemoryError", "MemoryError", null, 0, false).isOutOfMemory())
        .isTrue();
    assertThat(
            new GuestError("InternalError", "InternalError: out of memory", null, 0, false)
                .isOutOfMemory())
        .isTrue();
  }
}
