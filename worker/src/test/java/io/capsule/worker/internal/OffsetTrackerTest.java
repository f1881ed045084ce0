package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetTrackerTest {
  private final TopicPartition p = new TopicPartition("t", 0);
  private final OffsetTracker tracker = new OffsetTracker();

  @Test
  void commitsOnlyUpToTheHighestContiguousCompletedOffset() {
    for (long o = 10; o < 14; o++) {
      tracker.track(p, o);
    }
    tracker.complete(p, 11);
    tracker.complete(p, 13);
    assertThat(tracker.takeCommits()).isEmpty();

    tracker.complete(p, 10);
    assertThat(tracker.takeCommits()).containsEntry(p, new OffsetAndMetadata(12));
    tracker.complete(p, 12);
    assertThat(tracker.takeCommits()).containsEntry(p, new OffsetAndMetadata(14));
    assertThat(tracker.takeCommits()).isEmpty();
  }

  @Test
  void positionsAreTakenEveryTimeAndNeverPassARecordInFlight() {
    TopicPartition idle = new TopicPartition("t", 1);
    for (long o = 10; o < 13; o++) {
      tracker.track(p, o);
    }
    tracker.track(idle, 5);
    tracker.complete(idle, 5);
    tracker.complete(p, 11); // done behind 10, which still runs

    // 11's outputs are committed with this position: its metadata says so (DoneOffsets)
    assertThat(tracker.takePositions())
        .containsEntry(p, new OffsetAndMetadata(10, "capsule-done-v1:1"))
        .containsEntry(idle, new OffsetAndMetadata(6));
    // carried again by the next transaction: each one is fenced by the group generation
    assertThat(tracker.takePositions()).hasSize(2);

    tracker.complete(p, 10);
    assertThat(tracker.takePositions()).containsEntry(p, new OffsetAndMetadata(12));
  }

  @Test
  void aFailedCommitIsSentAgain() {
    tracker.track(p, 0);
    tracker.complete(p, 0);
    var commits = tracker.takeCommits();
    tracker.commitFailed(commits);
    assertThat(tracker.takeCommits()).containsEntry(p, new OffsetAndMetadata(1));
  }

  @Test
  void forgottenPartitionsIgnoreLateCompletions() {
    tracker.track(p, 0);
    tracker.forget(p);
    tracker.complete(p, 0);
    assertThat(tracker.takeCommits()).isEmpty();
    assertThat(tracker.inFlight(p)).isZero();
  }
}
