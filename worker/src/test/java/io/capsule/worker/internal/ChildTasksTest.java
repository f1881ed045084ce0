package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.TaskRequest;
import org.junit.jupiter.api.Test;

class ChildTasksTest {
  @Test
  void childIdsNameTheParentAndStayWithinTheLimit() {
    assertThat(ChildTasks.childId("p-1", "square")).matches("p-1/square-[0-9a-f]{8}");
    String id = ChildTasks.childId("x".repeat(200), "y".repeat(100));
    assertThat(id.length()).isLessThanOrEqualTo(TaskRequest.MAX_ID_LENGTH);
    assertThat(ChildTasks.childId("p", "a")).isNotEqualTo(ChildTasks.childId("p", "a"));
  }
}
