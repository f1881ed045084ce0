package io.capsule.sandbox.internal.lang;

import io.capsule.protocol.Sha256;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Python task files already compiled by the resumed interpreter, as marshalled code objects
 * (base64), keyed by file name and source: a later task of the same file skips CPython's parser and
 * compiler, which cost more than the rest of a small task's start (about 6 ms against 0.5 ms to
 * unmarshal, for capsule-run's hello example).
 *
 * <p>Entries come only from a task's {@code start} request, which the boot script sends before any
 * of the task's own code runs, so a task cannot hand later runs of its file other code than its
 * source compiles to. Bounded by entry count and total size (least recently used first out).
 * Thread-safe: one cache serves every attempt on the interpreter.
 */
public final class CompiledScripts {
  /** Bigger code is compiled every time rather than held. */
  static final int MAX_ENTRY_CHARS = 1 << 20;

  private final int maxEntries;
  private final long maxChars;
  private final Map<String, String> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long chars;

  /** A cache of at most {@code maxEntries} entries and {@code maxChars} characters of code. */
  public CompiledScripts(int maxEntries, long maxChars) {
    this.maxEntries = maxEntries;
    this.maxChars = maxChars;
  }

  /** The marshalled code of {@code source} read from {@code fileName}, or {@code null}. */
  public synchronized String get(String fileName, String source) {
    return entries.get(key(fileName, source));
  }

  /** Keeps {@code code}, the marshalled form of {@code source} compiled as {@code fileName}. */
  public synchronized void put(String fileName, String source, String code) {
    if (code == null || code.isEmpty() || code.length() > MAX_ENTRY_CHARS) {
      return;
    }
    String old = entries.put(key(fileName, source), code);
    chars += code.length() - (old == null ? 0 : old.length());
    var eldest = entries.entrySet().iterator();
    while ((entries.size() > maxEntries || chars > maxChars) && eldest.hasNext()) {
      chars -= eldest.next().getValue().length();
      eldest.remove();
    }
  }

  /** How many files are held. */
  public synchronized int size() {
    return entries.size();
  }

  private static String key(String fileName, String source) {
    return Sha256.hex((fileName + '\0' + source).getBytes(StandardCharsets.UTF_8));
  }
}
