package io.capsule.worker.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Per-partition offsets in flight and done, completed in any order; what may be committed is the
 * offset after the highest contiguous completed one. Used by the poll thread, and in transactional
 * output mode also by task threads ({@link TransactionalOutputs} marks an attempt's offset done as
 * its outputs join a transaction): every method is synchronized.
 */
public final class OffsetTracker {
  private final Map<TopicPartition, TreeMap<Long, Boolean>> partitions = new HashMap<>();
  private final Map<TopicPartition, Long> committable = new HashMap<>();
  private final Map<TopicPartition, Long> committed = new HashMap<>();

  /** Starts tracking a fetched record. */
  public synchronized void track(TopicPartition partition, long offset) {
    partitions.computeIfAbsent(partition, p -> new TreeMap<>()).put(offset, Boolean.FALSE);
  }

  /** Marks a record done; ignored for partitions no longer tracked. */
  public synchronized void complete(TopicPartition partition, long offset) {
    TreeMap<Long, Boolean> offsets = partitions.get(partition);
    if (offsets == null || !offsets.containsKey(offset)) {
      return;
    }
    offsets.put(offset, Boolean.TRUE);
    while (!offsets.isEmpty() && offsets.firstEntry().getValue()) {
      committable.put(partition, offsets.pollFirstEntry().getKey() + 1);
    }
  }

  /** Offsets that may be committed and were not yet; marks them committed. */
  public synchronized Map<TopicPartition, OffsetAndMetadata> takeCommits() {
    Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
    committable.forEach(
        (partition, offset) -> {
          if (!offset.equals(committed.get(partition))) {
            commits.put(partition, new OffsetAndMetadata(offset));
            committed.put(partition, offset);
          }
        });
    return commits;
  }

  /** Marks failed commits as not committed, so the next {@link #takeCommits()} sends them again. */
  public synchronized void commitFailed(Map<TopicPartition, OffsetAndMetadata> commits) {
    commits.forEach((partition, offset) -> committed.remove(partition, offset.offset()));
  }

  /**
   * The position to commit of every partition tracked: the offset of its first record in flight, or
   * with none in flight the offset after its last done one (when any is done); marks them
   * committed. Committed again each time, so every transaction that carries them is fenced by the
   * group generation. A position with records done past it carries them in its metadata ({@link
   * DoneOffsets}): in transactional mode every offset done here has its outputs in the transaction
   * being committed or in one committed before.
   */
  public synchronized Map<TopicPartition, OffsetAndMetadata> takePositions() {
    Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
    committable.forEach(
        (partition, offset) -> positions.put(partition, new OffsetAndMetadata(offset)));
    partitions.forEach(
        (partition, offsets) -> {
          if (!offsets.isEmpty()) {
            long first = offsets.firstKey();
            String done = DoneOffsets.format(first, offsets);
            positions.put(partition, new OffsetAndMetadata(first, done));
          }
        });
    positions.forEach((partition, offset) -> committed.put(partition, offset.offset()));
    return positions;
  }

  /**
   * Per partition with records in flight, the offset of the first: committing it commits nothing
   * not yet done (everything before it is).
   */
  public synchronized Map<TopicPartition, OffsetAndMetadata> firstInFlight() {
    Map<TopicPartition, OffsetAndMetadata> first = new HashMap<>();
    partitions.forEach(
        (partition, offsets) -> {
          if (!offsets.isEmpty()) {
            first.put(partition, new OffsetAndMetadata(offsets.firstKey()));
          }
        });
    return first;
  }

  /** Records still in flight on a partition. */
  public synchronized int inFlight(TopicPartition partition) {
    TreeMap<Long, Boolean> offsets = partitions.get(partition);
    return offsets == null ? 0 : offsets.size();
  }

  /** Forgets a partition (revoked or lost). */
  public synchronized void forget(TopicPartition partition) {
    partitions.remove(partition);
    committable.remove(partition);
    committed.remove(partition);
  }
}
