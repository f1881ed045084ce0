package io.capsule.sandbox.internal;

import com.dylibso.chicory.compiler.Cache;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * A compile cache for one prepare call: entries given up front (from a built artifact) first, then
 * the disk cache. Every entry read or written is kept, so the compiled classes can be packed into
 * an artifact afterwards.
 *
 * <p>Chicory loads and initialises whatever this returns as host code, so both layers must hold
 * only authenticated classes: the entries given up front are an artifact's classes that passed
 * {@link io.capsule.sandbox.TaskArtifact#trustedClasses}, and {@link DiskCompileCache} checks each
 * entry's tag.
 */
public final class LayeredCache implements Cache {
  private final Map<String, byte[]> entries = new HashMap<>();
  private final Cache disk;

  /** A cache over {@code disk} (may be {@code null}) seeded with {@code preloaded} entries. */
  public LayeredCache(Map<String, byte[]> preloaded, Cache disk) {
    this.entries.putAll(preloaded);
    this.disk = disk;
  }

  @Override
  public synchronized byte[] get(String key) throws IOException {
    byte[] data = entries.get(key);
    if (data == null && disk != null) {
      data = disk.get(key);
      if (data != null) {
        entries.put(key, data);
      }
    }
    return data;
  }

  @Override
  public synchronized void putIfAbsent(String key, byte[] data) throws IOException {
    entries.putIfAbsent(key, data);
    if (disk != null) {
      disk.putIfAbsent(key, data);
    }
  }

  /** Whether an entry for {@code key} exists, given up front or on disk. */
  public boolean contains(String key) {
    try {
      return get(key) != null;
    } catch (IOException e) {
      return false;
    }
  }

  /** The entry for {@code key}, or {@code null}. */
  public synchronized byte[] entry(String key) {
    return entries.get(key);
  }
}
