package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CapsuleJsonTest {
  private static final ResultEnvelope FAILED =
      ResultEnvelope.failure(
              ErrorType.TASK_ERROR, "bad \"input\" — ünïcode ✓\n", Execution.none("main"))
          .withTask("t-1", 2, "w-1")
          .withLogs("line 1\nline 2 \u0000");

  @Test
  void writeBytesIsTheUtf8OfWrite() {
    assertThat(CapsuleJson.writeBytes(FAILED))
        .isEqualTo(CapsuleJson.write(FAILED).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aTerminalEventWithItsEnvelopeSplicedInReadsAsTheEventWrittenWhole() {
    LifecycleEvent event =
        LifecycleEvent.finalOf("t-1", TaskState.FAILED, "low", "w-1", FAILED)
            .withParent("p-1")
            .withTreeBudgetLeft(3);
    byte[] spliced =
        CapsuleJson.writeWithMember(
            event.withEnvelope(null), "envelope", CapsuleJson.writeBytes(FAILED));

    assertThat(tree(spliced)).isEqualTo(tree(CapsuleJson.writeBytes(event)));
    assertThat(CapsuleJson.read(new String(spliced, StandardCharsets.UTF_8), LifecycleEvent.class))
        .isEqualTo(event);
  }

  @Test
  void aMemberIsAddedToAnEmptyObjectWithoutALeadingComma() {
    byte[] json =
        CapsuleJson.writeWithMember(
            CapsuleJson.mapper().createObjectNode(), "a", CapsuleJson.writeBytes(1));

    assertThat(new String(json, StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
  }

  @Test
  void onlyAnObjectTakesAMember() {
    assertThatThrownBy(() -> CapsuleJson.writeWithMember("text", "a", new byte[] {'1'}))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("not an object");
    assertThatThrownBy(() -> CapsuleJson.writeWithMember(new int[] {1}, "a", new byte[] {'1'}))
        .isInstanceOf(InternalException.class);
  }

  @Test
  void bytesReadAsTheirText() {
    byte[] json = CapsuleJson.writeBytes(FAILED);

    assertThat(CapsuleJson.read(json, ResultEnvelope.class)).isEqualTo(FAILED);
  }

  @Test
  void bytesThatAreNotUtf8AreRefusedAsAnInvalidRequest() {
    byte[] json = {
      '{', '"', 's', 'u', 'c', 'c', 'e', 's', 's', '"', ':', '"', (byte) 0xff, '"', '}'
    };

    assertThatThrownBy(() -> CapsuleJson.read(json, ResultEnvelope.class))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("UTF-8");
  }

  private static JsonNode tree(byte[] json) {
    return CapsuleJson.readTree(new String(json, StandardCharsets.UTF_8));
  }
}
