package io.capsule.sandbox.internal.lang;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.ValType;
import io.capsule.protocol.MemoryLimitException;
import io.capsule.protocol.Sha256;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The state of a WebAssembly reactor between two export calls, when its stack is empty: linear
 * memory and the values of its mutable globals. Restoring it into a fresh instance of the same
 * module (before any export runs) makes that instance continue as if it had done the work itself,
 * so an interpreter pays its start-up once per module instead of once per task.
 *
 * <p>Globals named in {@code skipped} (the fuel meter's) are not part of the state: each run's
 * meter owns them. Tables are not captured: the reactors Capsule snapshots (QuickJS) never change
 * their function table after instantiation.
 *
 * <p>Immutable and thread-safe; restore copies.
 */
public final class ReactorSnapshot {
  private static final int MAGIC = 0x43534e50; // "CSNP"
  private static final int BLOCK = 4096;
  private static final long PAGE = 65_536;

  private final int pages;
  private final byte[] memory;
  private final int[] globalIndexes;
  private final long[] globalValues;
  private volatile String sha256;

  private ReactorSnapshot(int pages, byte[] memory, int[] globalIndexes, long[] globalValues) {
    this.pages = pages;
    this.memory = memory;
    this.globalIndexes = globalIndexes;
    this.globalValues = globalValues;
  }

  /**
   * Captures {@code instance}, which must not be running an export.
   *
   * @param skipped export names of mutable globals to leave out
   */
  public static ReactorSnapshot capture(Instance instance, Set<String> skipped) {
    Memory memory = instance.memory();
    int pages = memory.pages();
    byte[] bytes = memory.readBytes(0, (int) (pages * PAGE));
    List<Integer> indexes = mutableGlobals(instance, skipped);
    int[] idx = indexes.stream().mapToInt(Integer::intValue).toArray();
    long[] values = Arrays.stream(idx).mapToLong(i -> instance.global(i).getValue()).toArray();
    return new ReactorSnapshot(pages, bytes, idx, values);
  }

  private static List<Integer> mutableGlobals(Instance instance, Set<String> skipped) {
    var module = instance.module();
    Set<Integer> skip = new java.util.HashSet<>();
    var exports = module.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      var export = exports.getExport(i);
      if (export.exportType() == ExternalType.GLOBAL && skipped.contains(export.name())) {
        skip.add(export.index());
      }
    }
    int imported = module.importSection().count(ExternalType.GLOBAL);
    if (imported > 0) {
      throw new IllegalArgumentException("reactors with imported globals are not snapshotted");
    }
    List<Integer> indexes = new ArrayList<>();
    var globals = module.globalSection().globals();
    for (int i = 0; i < globals.length; i++) {
      boolean mutable = globals[i].mutabilityType() == MutabilityType.Var;
      if (mutable && !skip.contains(i)) {
        if (globals[i].valueType() == ValType.V128) {
          throw new IllegalArgumentException("v128 globals are not snapshotted");
        }
        indexes.add(i);
      }
    }
    return indexes;
  }

  /**
   * Puts this state into {@code instance}, a fresh instance of the captured module.
   *
   * @throws MemoryLimitException when the state needs more memory than the instance may have
   */
  public void restore(Instance instance) {
    Memory target = instance.memory();
    if (target.pages() < pages && target.grow(pages - target.pages()) < 0) {
      throw new MemoryLimitException(
          "the interpreter's initialised state needs "
              + pages * PAGE
              + " bytes of memory, more than the task's ram cap of "
              + (long) target.maximumPages() * PAGE);
    }
    target.write(0, memory);
    for (int i = 0; i < globalIndexes.length; i++) {
      instance.global(globalIndexes[i]).setValue(globalValues[i]);
    }
  }

  /**
   * Hex SHA-256 of the state (memory size, globals, memory): what a built script artifact names the
   * snapshot it was built against by. Computed once.
   */
  public String sha256() {
    String hash = sha256;
    if (hash == null) {
      MessageDigest digest = Sha256.digest();
      var header = ByteBuffer.allocate(8 + globalIndexes.length * 12);
      header.putInt(pages).putInt(globalIndexes.length);
      for (int i = 0; i < globalIndexes.length; i++) {
        header.putInt(globalIndexes[i]).putLong(globalValues[i]);
      }
      digest.update(header.array());
      digest.update(memory);
      hash = HexFormat.of().formatHex(digest.digest());
      sha256 = hash;
    }
    return hash;
  }

  /** Linear memory size of the state, in bytes. */
  public long memoryBytes() {
    return pages * PAGE;
  }

  /** Writes the state; memory blocks that are all zero are left out. */
  public void writeTo(OutputStream out) throws IOException {
    var data = new DataOutputStream(out);
    data.writeInt(MAGIC);
    data.writeInt(pages);
    data.writeInt(globalIndexes.length);
    for (int i = 0; i < globalIndexes.length; i++) {
      data.writeInt(globalIndexes[i]);
      data.writeLong(globalValues[i]);
    }
    for (int block = 0; block * BLOCK < memory.length; block++) {
      if (!isZero(block)) {
        data.writeInt(block);
        data.write(memory, block * BLOCK, BLOCK);
      }
    }
    data.writeInt(-1);
    data.flush();
  }

  /**
   * Reads a state written by {@link #writeTo}.
   *
   * @throws IOException when the stream is not a snapshot or is cut short
   */
  public static ReactorSnapshot readFrom(InputStream in) throws IOException {
    var data = new DataInputStream(in);
    if (data.readInt() != MAGIC) {
      throw new IOException("not a Capsule reactor snapshot");
    }
    int pages = data.readInt();
    int count = data.readInt();
    if (pages < 0 || pages >= 32_768 || count < 0 || count > 100_000) { // a Java array: < 2 GiB
      throw new IOException("corrupt reactor snapshot header");
    }
    int[] indexes = new int[count];
    long[] values = new long[count];
    for (int i = 0; i < count; i++) {
      indexes[i] = data.readInt();
      values[i] = data.readLong();
    }
    byte[] memory = new byte[(int) (pages * PAGE)];
    for (int block = data.readInt(); block >= 0; block = data.readInt()) {
      if ((long) block * BLOCK + BLOCK > memory.length) {
        throw new IOException("corrupt reactor snapshot block " + block);
      }
      data.readFully(memory, block * BLOCK, BLOCK);
    }
    return new ReactorSnapshot(pages, memory, indexes, values);
  }

  private boolean isZero(int block) {
    for (int i = block * BLOCK, end = i + BLOCK; i < end; i++) {
      if (memory[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
