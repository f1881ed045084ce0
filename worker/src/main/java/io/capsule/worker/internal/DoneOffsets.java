package io.capsule.worker.internal;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The records of a partition already done beyond its committed position, carried in the committed
 * offset's metadata by a transactional worker. Tasks finish out of order: a transaction commits the
 * outputs of every attempt that joined it, but the partition's position only up to its first record
 * still running, so the records done past it would otherwise run again after an abort (the worker
 * rewinds to the committed position) or at the partition's next owner — each a second final
 * envelope, unless the ledger, which may lag behind a killed leader, recognises them. Written in
 * the same transaction as their outputs, the list is exactly what that transaction made visible.
 *
 * <p>Form: {@code capsule-done-v1:} then comma-separated ranges relative to the position ({@code
 * 2-4,7} after position 100 means 102, 103, 104 and 107). It is bounded ({@link #MAX_CHARS}, far
 * below the broker's {@code offset.metadata.max.bytes}, 4,096 by default): what does not fit is
 * left out, and those records fall back to the ledger check. Metadata read back comes from the
 * group's offsets topic — any member of the group can write it — so parsing accepts only this form
 * within the same bound, keeps ranges as ranges (never expanded), and reads anything else as
 * nothing done.
 */
final class DoneOffsets {
  static final String PREFIX = "capsule-done-v1:";

  /** The longest metadata written or read. */
  static final int MAX_CHARS = 1_000;

  private static final DoneOffsets NONE = new DoneOffsets(new TreeMap<>());

  private final TreeMap<Long, Long> ranges; // first offset -> last offset, both absolute

  private DoneOffsets(TreeMap<Long, Long> ranges) {
    this.ranges = ranges;
  }

  /** Nothing known done. */
  static DoneOffsets none() {
    return NONE;
  }

  /**
   * The metadata for committing {@code position} with the records of {@code tracked} (offset to
   * whether it is done, as {@link OffsetTracker} keeps them; those at or below the position are
   * ignored) that are done: empty when none is past it.
   */
  static String format(long position, NavigableMap<Long, Boolean> tracked) {
    StringBuilder out = new StringBuilder(PREFIX);
    long first = -1;
    long last = -1;
    for (Map.Entry<Long, Boolean> record : tracked.tailMap(position, false).entrySet()) {
      if (!record.getValue()) {
        continue;
      }
      long offset = record.getKey();
      if (first >= 0 && offset == last + 1) {
        last = offset;
        continue;
      }
      if (first >= 0 && !append(out, position, first, last)) {
        return finish(out);
      }
      first = offset;
      last = offset;
    }
    if (first >= 0) {
      append(out, position, first, last);
    }
    return finish(out);
  }

  private static boolean append(StringBuilder out, long position, long first, long last) {
    String range =
        first == last
            ? Long.toString(first - position)
            : (first - position) + "-" + (last - position);
    int separator = out.length() > PREFIX.length() ? 1 : 0;
    if (out.length() + separator + range.length() > MAX_CHARS) {
      return false;
    }
    if (separator == 1) {
      out.append(',');
    }
    out.append(range);
    return true;
  }

  private static String finish(StringBuilder out) {
    return out.length() == PREFIX.length() ? "" : out.toString();
  }

  /**
   * What {@code metadata} (of an offset committed at {@code position}) says is done; {@link
   * #none()} for metadata of any other form, malformed, or longer than {@link #MAX_CHARS}.
   */
  static DoneOffsets parse(long position, String metadata) {
    if (position < 0 || metadata == null || !metadata.startsWith(PREFIX)) {
      return NONE;
    }
    String body = metadata.substring(PREFIX.length());
    if (body.isEmpty() || metadata.length() > MAX_CHARS) {
      return NONE;
    }
    String[] parts = body.split(",", -1);
    TreeMap<Long, Long> ranges = new TreeMap<>();
    long after = 0; // ranges ascend and do not touch: each starts past the last one's end
    for (String part : parts) {
      long[] range = range(part);
      if (range == null || range[0] <= after || range[1] < range[0]) {
        return NONE;
      }
      if (Long.MAX_VALUE - position < range[1]) {
        return NONE;
      }
      ranges.put(position + range[0], position + range[1]);
      after = range[1];
    }
    return new DoneOffsets(ranges);
  }

  private static long[] range(String part) {
    int dash = part.indexOf('-');
    try {
      if (dash < 0) {
        long offset = digits(part);
        return new long[] {offset, offset};
      }
      return new long[] {digits(part.substring(0, dash)), digits(part.substring(dash + 1))};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static long digits(String text) {
    if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new NumberFormatException(text);
    }
    return Long.parseLong(text);
  }

  /** Whether {@code offset} is listed done. */
  boolean contains(long offset) {
    Map.Entry<Long, Long> range = ranges.floorEntry(offset);
    return range != null && offset <= range.getValue();
  }

  /** Whether nothing is listed. */
  boolean isEmpty() {
    return ranges.isEmpty();
  }

  /** The last offset listed, or -1. */
  long last() {
    return ranges.isEmpty() ? -1 : ranges.lastEntry().getValue();
  }
}
