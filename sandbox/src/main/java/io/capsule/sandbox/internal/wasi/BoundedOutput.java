package io.capsule.sandbox.internal.wasi;

import io.capsule.protocol.MemoryLimitException;
import io.capsule.sandbox.internal.ResourceAccount;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * An output stream that keeps at most {@code limit} bytes, so a guest that prints forever cannot
 * fill the heap. It never blocks and never fails: bytes beyond the limit are counted and dropped.
 *
 * <p>{@link #head} keeps the first bytes (stdout: the result JSON is at the start); {@link #tail}
 * keeps the last bytes (stderr: the latest log lines explain a failure). The buffer grows with the
 * output, so a quiet guest costs little; each growth is charged to the attempt's {@link
 * ResourceAccount} when one is given ({@link #chargedTo}), and a growth the account refuses ends
 * the write with {@link MemoryLimitException}. Thread-safe.
 */
public final class BoundedOutput extends OutputStream {
  /** Default stdout limit: 1 MiB. */
  public static final int DEFAULT_STDOUT_LIMIT = 1 << 20;

  /** Default stderr limit: 64 KiB. */
  public static final int DEFAULT_STDERR_LIMIT = 64 << 10;

  private static final int INITIAL_CAPACITY = 256;

  private final int limit;
  private final boolean keepTail;
  private final ResourceAccount account;
  private final String name;
  private final OutputStream observer;
  private byte[] buffer = new byte[0];
  private int start;
  private int size;
  private long total;

  private BoundedOutput(
      int limit, boolean keepTail, ResourceAccount account, String name, OutputStream observer) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative: " + limit);
    }
    this.limit = limit;
    this.keepTail = keepTail;
    this.account = account;
    this.name = name;
    this.observer = observer;
  }

  private BoundedOutput(int limit, boolean keepTail) {
    this(limit, keepTail, ResourceAccount.unlimited(), "output", OutputStream.nullOutputStream());
  }

  /**
   * An empty capture with this one's limit and kind whose buffer growth is charged to {@code
   * account}.
   *
   * @param name the stream, for the report when a growth is refused ("stdout")
   */
  public BoundedOutput chargedTo(ResourceAccount account, String name) {
    return new BoundedOutput(limit, keepTail, account, name, observer);
  }

  /**
   * This capture (empty) whose every write is also given to {@code observer}, whole and in order,
   * before it is bounded: for a caller that shows the output as it is written. The observer must
   * bound what it holds itself; what it throws is ignored.
   */
  public BoundedOutput observedBy(OutputStream observer) {
    return new BoundedOutput(limit, keepTail, account, name, Objects.requireNonNull(observer));
  }

  /** Keeps the first {@code limit} bytes and drops the rest. */
  public static BoundedOutput head(int limit) {
    return new BoundedOutput(limit, false);
  }

  /** Keeps the last {@code limit} bytes, dropping the oldest. */
  public static BoundedOutput tail(int limit) {
    return new BoundedOutput(limit, true);
  }

  /** A stdout capture: the first {@value #DEFAULT_STDOUT_LIMIT} bytes. */
  public static BoundedOutput forStdout() {
    return head(DEFAULT_STDOUT_LIMIT);
  }

  /** A stderr capture: the last {@value #DEFAULT_STDERR_LIMIT} bytes. */
  public static BoundedOutput forStderr() {
    return tail(DEFAULT_STDERR_LIMIT);
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    observe(bytes, offset, length);
    total += length;
    if (keepTail) {
      appendTail(bytes, offset, length);
    } else {
      appendHead(bytes, offset, length);
    }
  }

  private void observe(byte[] bytes, int offset, int length) {
    try {
      observer.write(bytes, offset, length);
    } catch (java.io.IOException | RuntimeException e) {
      // the observer's trouble is not the guest's: the capture goes on
    }
  }

  /**
   * Counts {@code length} bytes as written and dropped without being given them: for a tail capture
   * whose next writes bring at least {@link #limit()} bytes, which would push these out anyway.
   *
   * @throws IllegalStateException when this capture keeps the head
   */
  public synchronized void skip(long length) {
    if (!keepTail) {
      throw new IllegalStateException("a head capture keeps what is written first");
    }
    total += length;
  }

  /** Whether this capture keeps the last bytes written (else the first). */
  public boolean keepsTail() {
    return keepTail;
  }

  /** The bytes kept, in the order they were written. */
  public synchronized byte[] toByteArray() {
    byte[] out = new byte[size];
    int first = Math.min(size, buffer.length - start);
    System.arraycopy(buffer, start, out, 0, first);
    System.arraycopy(buffer, 0, out, first, size - first);
    return out;
  }

  /** The bytes kept, decoded as UTF-8 (a sequence cut at the edge becomes U+FFFD). */
  public String text() {
    return new String(toByteArray(), StandardCharsets.UTF_8);
  }

  /** All bytes written, kept or not. */
  public synchronized long totalBytes() {
    return total;
  }

  /** Bytes written but not kept. */
  public synchronized long droppedBytes() {
    return total - size;
  }

  /** Whether any byte was dropped. */
  public boolean truncated() {
    return droppedBytes() > 0;
  }

  /** The most bytes kept. */
  public int limit() {
    return limit;
  }

  private void appendHead(byte[] bytes, int offset, int length) {
    int kept = Math.min(length, limit - size);
    ensureCapacity(size + kept);
    System.arraycopy(bytes, offset, buffer, size, kept);
    size += kept;
  }

  private void appendTail(byte[] bytes, int offset, int length) {
    if (length > limit) {
      offset += length - limit;
      length = limit;
    }
    ensureCapacity(Math.min(limit, size + length));
    int overflow = size + length - buffer.length;
    if (overflow > 0) {
      start = (start + overflow) % buffer.length;
      size -= overflow;
    }
    int position = (start + size) % Math.max(1, buffer.length);
    int first = Math.min(length, buffer.length - position);
    System.arraycopy(bytes, offset, buffer, position, first);
    System.arraycopy(bytes, offset + first, buffer, 0, length - first);
    size += length;
  }

  /** Grows (linearising the ring) while below the limit; the buffer never exceeds the limit. */
  private void ensureCapacity(int needed) {
    if (needed <= buffer.length) {
      return;
    }
    int grown = Math.min(limit, Math.max(needed, Math.max(INITIAL_CAPACITY, buffer.length * 2)));
    account.chargeBuffer(
        grown - buffer.length, "growing the " + name + " capture to " + grown + " bytes");
    byte[] linear = toByteArray();
    buffer = Arrays.copyOf(linear, grown);
    start = 0;
  }
}
