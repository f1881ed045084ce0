package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class DoneOffsetsTest {
  /** Records as {@link OffsetTracker} tracks them, these ones done. */
  private static TreeMap<Long, Boolean> done(long... offsets) {
    TreeMap<Long, Boolean> tracked = new TreeMap<>();
    LongStream.of(offsets).forEach(offset -> tracked.put(offset, true));
    return tracked;
  }

  @Test
  void listsTheOffsetsDonePastThePositionAsRangesRelativeToIt() {
    TreeMap<Long, Boolean> tracked = done(99, 100, 102, 103, 104, 107);
    tracked.put(101L, false); // still running
    tracked.put(105L, false);

    String metadata = DoneOffsets.format(100, tracked);

    assertThat(metadata).isEqualTo("capsule-done-v1:2-4,7");
    DoneOffsets done = DoneOffsets.parse(100, metadata);
    assertThat(LongStream.rangeClosed(95, 110).filter(done::contains).toArray())
        .containsExactly(102, 103, 104, 107);
    assertThat(done.last()).isEqualTo(107);
  }

  @Test
  void nothingDonePastThePositionWritesNoMetadata() {
    assertThat(DoneOffsets.format(100, done())).isEmpty();
    assertThat(DoneOffsets.format(100, done(97, 100))).isEmpty();
    assertThat(DoneOffsets.parse(100, "").isEmpty()).isTrue();
    assertThat(DoneOffsets.parse(100, null).isEmpty()).isTrue();
  }

  @Test
  void theListIsCutToItsBoundAndWhatFitsIsStillRead() {
    TreeMap<Long, Boolean> everyOther = new TreeMap<>();
    for (long o = 1; o < 2_000; o++) {
      everyOther.put(o, o % 2 == 0);
    }

    String metadata = DoneOffsets.format(0, everyOther);

    assertThat(metadata.length()).isLessThanOrEqualTo(DoneOffsets.MAX_CHARS);
    DoneOffsets done = DoneOffsets.parse(0, metadata);
    assertThat(done.contains(2)).isTrue();
    assertThat(done.contains(3)).isFalse();
    assertThat(done.last()).isLessThan(1_998); // the tail did not fit: left to the ledger
  }

  @Test
  void hostileMetadataReadsAsNothingDone() {
    String[] hostile = {
      "capsule-done-v1:", // no range
      "capsule-done-v1:0", // the position itself is the record still in flight
      "capsule-done-v1:5,3", // descending
      "capsule-done-v1:2-4,4-6", // overlapping
      "capsule-done-v1:4-2", // reversed range
      "capsule-done-v1:-3", // negative
      "capsule-done-v1:1,,2", // empty range
      "capsule-done-v1:+1", // sign
      "capsule-done-v1:1e3", // not digits
      "capsule-done-v1:9999999999999999999", // too long a number
      "capsule-done-v2:1", // another form
      "something else"
    };
    for (String metadata : hostile) {
      assertThat(DoneOffsets.parse(100, metadata).isEmpty()).as(metadata).isTrue();
    }
    assertThat(DoneOffsets.parse(Long.MAX_VALUE - 1, "capsule-done-v1:5").isEmpty())
        .as("past the largest offset")
        .isTrue();
  }

  @Test
  void aHugeRangeIsKeptAsOneRangeNeverExpanded() {
    DoneOffsets done = DoneOffsets.parse(10, "capsule-done-v1:1-999999999999999999");

    assertThat(done.contains(11)).isTrue();
    assertThat(done.contains(999_999_999_999_999_999L)).isTrue();
    assertThat(done.contains(10)).isFalse();
  }

  @Test
  void metadataLongerThanTheBoundReadsAsNothingDone() {
    String tooLong =
        LongStream.rangeClosed(1, DoneOffsets.MAX_CHARS)
            .map(i -> i * 2)
            .mapToObj(Long::toString)
            .collect(Collectors.joining(",", "capsule-done-v1:", ""));

    assertThat(DoneOffsets.parse(0, tooLong).isEmpty()).isTrue();
  }
}
