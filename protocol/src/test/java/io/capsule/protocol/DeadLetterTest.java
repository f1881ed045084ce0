package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeadLetterTest {
  private static final byte[] EMPTY_MODULE = {0, 'a', 's', 'm', 1, 0, 0, 0};

  private static DeadLetter failed(String message) {
    TaskRequest request =
        TaskRequest.of(ModuleRef.inline(EMPTY_MODULE), List.of(), TaskOptions.NONE).nextAttempt(0);
    ResultEnvelope envelope =
        ResultEnvelope.failure(ErrorType.WASM_ERROR, message, Execution.none("main"));
    return DeadLetter.failed(request, envelope, "not_retryable", "capsule.tasks.low/2/41");
  }

  @Test
  void aFailedTaskLetterNamesItsAttempt() {
    DeadLetter letter = failed("trap");

    assertThat(letter.attempt()).isEqualTo(2);
    assertThat(letter.replayable()).isTrue();
    assertThat(letter.bodiesOmitted()).isFalse();
  }

  @Test
  void withoutBodiesKeepsWhoWhyAndWhereButNotTheRequestOrEnvelope() {
    DeadLetter whole = failed("unreachable: " + "é".repeat(10_000));

    DeadLetter cut = whole.withoutBodies("refused as too large");

    assertThat(cut.request()).isNull();
    assertThat(cut.envelope()).isNull();
    assertThat(cut.replayable()).isFalse();
    assertThat(cut.bodiesOmitted()).isTrue();
    assertThat(cut.taskId()).isEqualTo(whole.taskId());
    assertThat(cut.attempt()).isEqualTo(2);
    assertThat(cut.reason()).isEqualTo("not_retryable");
    assertThat(cut.errorType()).isEqualTo(ErrorType.WASM_ERROR);
    assertThat(cut.source()).isEqualTo("capsule.tasks.low/2/41");
    assertThat(cut.at()).isEqualTo(whole.at());
    assertThat(cut.message())
        .startsWith("unreachable: éé")
        .endsWith("… (cut)")
        .hasSize(DeadLetter.OMITTED_MESSAGE_CHARS + 7);
    assertThat(cut.omitted()).isEqualTo("request and envelope left out: refused as too large");
  }

  @Test
  void aCutLetterIsSmallAndReadsBackAsItself() {
    DeadLetter cut = failed("x".repeat(1_000_000)).withoutBodies("too large");

    String json = CapsuleJson.write(cut);

    assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThan(8 * 1024);
    assertThat(json).contains("\"omitted\":").contains("\"attempt\":2");
    assertThat(CapsuleJson.read(json, DeadLetter.class)).isEqualTo(cut);
  }

  @Test
  void anUnreadableLetterWithoutBodiesSaysItsRawValueWasLeftOut() {
    DeadLetter letter = DeadLetter.unreadable("k", new byte[] {1, 2}, "not JSON", "t/0/1");

    DeadLetter cut = letter.withoutBodies("too large");

    assertThat(cut.raw()).isNull();
    assertThat(cut.attempt()).isNull();
    assertThat(cut.omitted()).startsWith("raw value left out");
  }

  @Test
  void theDeadLetterTopicTakesAMaximalRequestAndEnvelope() {
    String size =
        Topics.DEFAULT.specs().stream()
            .filter(s -> s.name().equals(Topics.DEFAULT.deadLetters()))
            .findFirst()
            .orElseThrow()
            .configs()
            .get("max.message.bytes");

    assertThat(Integer.parseInt(size))
        .isEqualTo(TopicSpec.MAX_DEAD_LETTER_BYTES)
        .isGreaterThan(2 * TopicSpec.DEFAULT_MAX_MESSAGE_BYTES);
  }
}
