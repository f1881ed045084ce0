package io.capsule.sandbox.internal;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;

/**
 * Linear memory whose maximum is clamped to the task's {@code ram} cap (the module's initial size
 * is kept: Chicory's {@code withMemoryLimits} would replace it). A {@code memory.grow} past the cap
 * returns -1 as WebAssembly says, and is remembered so a failure that follows can be reported as
 * {@code memory_limit}. Its pages are charged to the attempt's {@link ResourceAccount}, which also
 * holds the attempt's tables: a grow the account cannot hold fails the same way. The pages of a
 * small memory are reused by a later attempt once this one is {@linkplain #release released}
 * ({@link GuestMemoryPool}), zeroed whole before that attempt gets them.
 *
 * <p>This class only delegates; it is long because {@link Memory} is wide, not because it does
 * much. Atomic operations use {@link Memory}'s default implementations over the delegate.
 */
public final class CappedMemory implements Memory {
  private static final long PAGE = 65_536;
  private static final GuestMemoryPool POOL = new GuestMemoryPool();
  // What a released memory reads and writes through: no page, so any access fails.
  private static final Memory RELEASED = new ByteArrayMemory(new MemoryLimits(0, 0));

  private Memory delegate; // RELEASED once released
  private final MemoryLimits pooledAs; // the pool's key when it came from the pool, else null
  private final int capPages;
  private final ResourceAccount account;
  private boolean contentsFromSnapshot; // until instantiation has initialised this memory
  // Until instantiation has initialised this memory, its pages are as the JVM allocated them: all
  // zero. Instantiation zeroes a memory before it copies the data segments in; that second pass
  // over the pages (64 KiB and more per attempt) is skipped while this holds.
  private boolean asAllocated = true;
  private volatile boolean capHit;

  private CappedMemory(
      Memory delegate,
      MemoryLimits pooledAs,
      int capPages,
      ResourceAccount account,
      boolean contentsFromSnapshot) {
    account.charge(delegate.pages() * PAGE, "initial memory of " + delegate.pages() + " pages");
    this.delegate = delegate;
    this.pooledAs = pooledAs;
    this.capPages = capPages;
    this.account = account;
    this.contentsFromSnapshot = contentsFromSnapshot;
  }

  /**
   * Creates memory for a module's declared limits under a cap.
   *
   * @throws com.dylibso.chicory.wasm.UninstantiableException never; a module whose initial size
   *     exceeds the cap is refused by the caller before instantiation
   */
  public static CappedMemory create(MemoryLimits declared, int capPages) {
    return create(declared, capPages, ResourceAccount.unlimited());
  }

  /**
   * Like {@link #create(MemoryLimits, int)}, charging its pages to {@code account}. A small memory
   * may be one an earlier attempt {@linkplain #release released}, zeroed whole first.
   *
   * @throws io.capsule.protocol.MemoryLimitException when the account cannot hold the initial pages
   */
  public static CappedMemory create(MemoryLimits declared, int capPages, ResourceAccount account) {
    MemoryLimits limits = clamped(declared, capPages);
    return new CappedMemory(POOL.take(limits), limits, capPages, account, false);
  }

  /**
   * Like {@link #create}, for an instance whose whole memory a snapshot restore overwrites right
   * after instantiation: instantiation leaves the fresh (already zero) memory as it is instead of
   * zeroing it again and copying the module's active data segments into it (for CPython, 24,000
   * segments and 7 MB that the restore would overwrite). Passive segments stay available to {@code
   * memory.init}.
   */
  public static CappedMemory forSnapshotRestore(MemoryLimits declared, int capPages) {
    return forSnapshotRestore(declared, capPages, ResourceAccount.unlimited());
  }

  /** Like {@link #forSnapshotRestore(MemoryLimits, int)}, charging its pages to {@code account}. */
  public static CappedMemory forSnapshotRestore(
      MemoryLimits declared, int capPages, ResourceAccount account) {
    return new CappedMemory(
        new ByteArrayMemory(clamped(declared, capPages)), null, capPages, account, true);
  }

  /** The declared limits with the maximum clamped to the cap (initial kept below it). */
  private static MemoryLimits clamped(MemoryLimits declared, int capPages) {
    int max = Math.min(declared.maximumPages(), capPages);
    int initial = Math.min(declared.initialPages(), max);
    return new MemoryLimits(initial, max, declared.shared());
  }

  /**
   * Ends this memory's use: a small one that never grew goes back to the pool for a later attempt
   * (zeroed whole before that attempt gets it). Call only from the thread that ran the guest, once
   * it can run no guest code any more (no other thread reads or writes a guest's memory). Any use
   * of this object afterwards fails as out of bounds instead of reaching a later attempt's memory.
   */
  public void release() {
    Memory released = delegate;
    if (released == RELEASED) {
      return;
    }
    delegate = RELEASED;
    if (pooledAs != null && released instanceof ByteArrayMemory pages) {
      POOL.give(pages, pooledAs);
    }
  }

  /** Whether a grow was refused because of the cap. */
  public boolean capHit() {
    return capHit;
  }

  /** The cap in pages. */
  public int capPages() {
    return capPages;
  }

  @Override
  public int grow(int size) {
    if (size > 0 && (long) delegate.pages() + size > capPages) {
      capHit = true;
      account.refuse("memory.grow refused at the ram cap of " + capPages * PAGE + " bytes");
      return -1;
    }
    long bytes = Math.max(0, size) * PAGE;
    if (!account.tryCharge(bytes, "memory.grow of " + size + " pages")) {
      return -1;
    }
    int result = delegate.grow(size);
    if (result < 0) {
      account.release(bytes);
    }
    return result;
  }

  @Override
  public int pages() {
    return delegate.pages();
  }

  @Override
  public int initialPages() {
    return delegate.initialPages();
  }

  @Override
  public int maximumPages() {
    return delegate.maximumPages();
  }

  @Override
  public boolean shared() {
    return delegate.shared();
  }

  @Override
  @SuppressWarnings("removal") // a Memory must still implement it
  public Object lock(int address) {
    return delegate.lock(address);
  }

  @Override
  @SuppressWarnings("removal") // a Memory must still implement it
  public int waitOn(int address, int expected, long timeout) {
    return delegate.waitOn(address, expected, timeout);
  }

  @Override
  @SuppressWarnings("removal") // a Memory must still implement it
  public int waitOn(int address, long expected, long timeout) {
    return delegate.waitOn(address, expected, timeout);
  }

  @Override
  @SuppressWarnings("removal") // a Memory must still implement it
  public int notify(int address, int maxThreads) {
    return delegate.notify(address, maxThreads);
  }

  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments) {
    initialize(instance, dataSegments, 0);
  }

  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
    delegate.initialize(
        instance, contentsFromSnapshot ? passiveOnly(dataSegments) : dataSegments, memoryIndex);
    contentsFromSnapshot = false;
    asAllocated = false;
  }

  /**
   * The segments with every active one replaced by an empty passive one: after instantiation an
   * active segment counts as dropped, so {@code memory.init} on it behaves the same either way.
   */
  private static DataSegment[] passiveOnly(DataSegment[] segments) {
    if (segments == null) {
      return null;
    }
    DataSegment[] out = segments.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i] instanceof ActiveDataSegment) {
        out[i] = PassiveDataSegment.EMPTY;
      }
    }
    return out;
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    delegate.initPassiveSegment(segmentId, dest, offset, size);
  }

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    delegate.write(addr, data, offset, size);
  }

  @Override
  public byte read(int addr) {
    return delegate.read(addr);
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    return delegate.readBytes(addr, len);
  }

  @Override
  public void writeI32(int addr, int data) {
    delegate.writeI32(addr, data);
  }

  @Override
  public int readInt(int addr) {
    return delegate.readInt(addr);
  }

  @Override
  public void writeLong(int addr, long data) {
    delegate.writeLong(addr, data);
  }

  @Override
  public long readLong(int addr) {
    return delegate.readLong(addr);
  }

  @Override
  public void writeShort(int addr, short data) {
    delegate.writeShort(addr, data);
  }

  @Override
  public short readShort(int addr) {
    return delegate.readShort(addr);
  }

  @Override
  public long readU16(int addr) {
    return delegate.readU16(addr);
  }

  @Override
  public void writeByte(int addr, byte data) {
    delegate.writeByte(addr, data);
  }

  @Override
  public void writeF32(int addr, float data) {
    delegate.writeF32(addr, data);
  }

  @Override
  public long readF32(int addr) {
    return delegate.readF32(addr);
  }

  @Override
  public float readFloat(int addr) {
    return delegate.readFloat(addr);
  }

  @Override
  public void writeF64(int addr, double data) {
    delegate.writeF64(addr, data);
  }

  @Override
  public double readDouble(int addr) {
    return delegate.readDouble(addr);
  }

  @Override
  public long readF64(int addr) {
    return delegate.readF64(addr);
  }

  /**
   * Zeroes every page, except before instantiation has initialised this memory: its pages are then
   * still as the JVM allocated them (zero), or about to be overwritten whole by a snapshot restore.
   * A memory is never shared between instances, so nothing a guest wrote can be left there.
   */
  @Override
  public void zero() {
    if (!asAllocated) {
      delegate.zero();
    }
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    delegate.fill(value, fromIndex, toIndex);
  }

  @Override
  public void copy(int dest, int src, int size) {
    delegate.copy(dest, src, size);
  }

  @Override
  public void drop(int segment) {
    delegate.drop(segment);
  }
}
