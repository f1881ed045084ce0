package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Execution;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventStateReaderTest {
  private static byte[] bytes(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void readsIdStateAndAttemptOfATerminalEventAsTheWorkerWritesIt() throws IOException {
    ResultEnvelope envelope =
        ResultEnvelope.success(
                CapsuleJson.readTree("{\"nested\":{\"state\":\"queued\",\"attempt\":9}}"),
                new Execution("main", 3, 1, 10, 20, List.of()))
            .withTask("t-1", 2, "w");
    LifecycleEvent event = LifecycleEvent.finalOf("t-1", TaskState.SUCCEEDED, "low", "w", envelope);

    var read = EventStateReader.read(bytes(CapsuleJson.write(event)));

    assertThat(read).isEqualTo(new EventStateReader.EventState("t-1", TaskState.SUCCEEDED, 2));
  }

  @Test
  void fieldsInAnyOrderAndAMissingAttemptAreRead() throws IOException {
    var read =
        EventStateReader.read(
            bytes("{\"envelope\":{\"task_id\":\"x\"},\"state\":\"running\",\"task_id\":\"t-2\"}"));

    assertThat(read).isEqualTo(new EventStateReader.EventState("t-2", TaskState.RUNNING, 0));
  }

  @Test
  void valuesWithoutIdOrStateAreNotEvents() throws IOException {
    assertThat(EventStateReader.read(bytes("{\"task_id\":\"t-3\"}"))).isNull();
    assertThat(EventStateReader.read(bytes("[1,2]"))).isNull();
    assertThatThrownBy(() -> EventStateReader.read(bytes("{\"task_id\":")))
        .isInstanceOf(IOException.class);
  }
}
