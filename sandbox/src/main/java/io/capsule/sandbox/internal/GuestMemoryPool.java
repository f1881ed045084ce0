package io.capsule.sandbox.internal;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The linear memories of finished attempts of small modules, kept for later attempts whose memory
 * has the same limits: a fleet running the same small module over and over otherwise allocates (and
 * collects) a fresh memory per attempt, most of its allocation. A memory is given back only by the
 * thread that ran its guest, once no guest code can run on it any more ({@link
 * CappedMemory#release}), and only with the pages it started with; it is zeroed whole before it is
 * handed out again, so nothing one task wrote is seen by the next. The memory given back last is
 * handed out first: it is the one most likely still in a CPU cache (zeroing a cold one costs an
 * attempt several microseconds more when several attempts run at once).
 *
 * <p>Bounded: memories of up to {@value #MAX_PAGES_EACH} pages, {@value #MAX_POOLED_BYTES} bytes in
 * all (heap held outside any task's ram reservation), of at most {@value #MAX_SHAPES} different
 * limits (a stream of tasks each declaring other limits, or asking for another {@code ram}, would
 * otherwise leave a stack behind per pair); past that a memory given back is left to the garbage
 * collector. One pool per process: attempts of every sandbox share it.
 */
final class GuestMemoryPool {
  static final int MAX_PAGES_EACH = 64;
  static final long MAX_POOLED_BYTES = 32L << 20;
  static final int MAX_SHAPES = 64;
  private static final long PAGE = 65_536;

  private final Map<MemoryLimits, Deque<ByteArrayMemory>> free = new ConcurrentHashMap<>();
  private final AtomicLong pooledBytes = new AtomicLong();

  /** A memory of these limits with every byte zero: a pooled one cleared, or a new one. */
  ByteArrayMemory take(MemoryLimits limits) {
    Deque<ByteArrayMemory> stack = free.get(limits);
    ByteArrayMemory memory = stack == null ? null : stack.pollFirst();
    if (memory == null) {
      return new ByteArrayMemory(limits);
    }
    pooledBytes.addAndGet(-bytes(memory));
    memory.zero();
    return memory;
  }

  /**
   * Keeps {@code memory}, created by {@link #take} for {@code limits}, for a later attempt, if it
   * still has its initial pages and the pool has room; the caller must not use it afterwards.
   */
  void give(ByteArrayMemory memory, MemoryLimits limits) {
    if (limits.shared()
        || memory.pages() != limits.initialPages()
        || memory.pages() > MAX_PAGES_EACH
        || memory.pages() == 0) {
      return;
    }
    if (!free.containsKey(limits) && free.size() >= MAX_SHAPES) {
      return;
    }
    long bytes = bytes(memory);
    if (pooledBytes.addAndGet(bytes) > MAX_POOLED_BYTES) {
      pooledBytes.addAndGet(-bytes);
      return;
    }
    free.computeIfAbsent(limits, l -> new ConcurrentLinkedDeque<>()).push(memory);
  }

  /** How many different limits have a stack (for tests). */
  int shapes() {
    return free.size();
  }

  private static long bytes(ByteArrayMemory memory) {
    return memory.pages() * PAGE;
  }
}
