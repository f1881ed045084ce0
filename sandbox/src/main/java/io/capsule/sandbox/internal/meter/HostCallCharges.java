package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes host functions charge the running guest for the work they do on its behalf: {@value
 * #PER_BYTE} fuel unit per byte they read, write or copy — what a byte of {@code memory.copy} costs
 * the guest's own code — and more per random byte, which the JVM makes slowly; so that a call of
 * fixed price cannot make the host do unbounded work. The {@code call} operator itself still costs
 * 1; these charges come on top. See {@code docs/fuel.md}.
 *
 * <table>
 *   <caption>Charges per host call, beyond the {@code call}</caption>
 *   <tr><th>Function</th><th>Units</th></tr>
 *   <tr><td>{@code fd_read}, {@code fd_write}, {@code fd_pread}, {@code fd_pwrite}, {@code
 *       sock_recv}, {@code sock_send}</td>
 *       <td>{@value #IOVEC_BYTES} per iovec + the sum of the iovec lengths (the buffers offered,
 *       charged before the call)</td></tr>
 *   <tr><td>{@code random_get}</td><td>{@value #RANDOM_BYTE_COST} per byte asked for (the JVM's
 *       {@code SecureRandom} takes ~30–50 ns a byte, as long as 30–50 ordinary operators)</td></tr>
 *   <tr><td>{@code poll_oneoff}</td><td>{@value #POLL_BYTES} per subscription (a 48-byte
 *       subscription read, a 32-byte event written)</td></tr>
 *   <tr><td>{@code path_*}, {@code fd_prestat_dir_name}</td><td>the length of every path and
 *       buffer argument</td></tr>
 *   <tr><td>{@code fd_readdir}</td><td>the buffer length</td></tr>
 *   <tr><td>{@code args_get}, {@code environ_get}</td><td>the bytes written: the strings, their
 *       terminating NULs and a 4-byte pointer each</td></tr>
 *   <tr><td>{@code capsule.log}, {@code capsule.set_result}</td><td>the length</td></tr>
 *   <tr><td>{@code capsule.http_request}</td><td>the request document's length (before), then the
 *       answer document's length (after)</td></tr>
 *   <tr><td>{@code capsule.http_response_read}</td><td>the bytes copied (after)</td></tr>
 *   <tr><td>any other host function</td><td>nothing</td></tr>
 * </table>
 *
 * <p>Lengths are read as unsigned. A charge the size of which the arguments give is made before the
 * function runs, so a call the budget cannot pay for does no work and ends the run with {@code
 * fuel_exhausted}; the others (answers whose size only the host knows) are made after. Interpreter
 * guests pay the same through their own channels: the Python SDK's requests and answers are {@code
 * fd_write}s and {@code fd_read}s of stdin, and the JavaScript session charges its {@code
 * host_call} through {@link FuelMeter#charge}.
 */
public final class HostCallCharges {
  /** Fuel per byte of host work: a byte of {@code memory.copy}. */
  public static final long PER_BYTE = 1;

  /** Fuel per byte of {@code random_get}. */
  public static final long RANDOM_BYTE_COST = 32;

  /** Bytes of one iovec (a pointer and a length), read by the host. */
  static final long IOVEC_BYTES = 8;

  /** Bytes a {@code poll_oneoff} subscription makes the host read (48) and write (32). */
  static final long POLL_BYTES = 80;

  private static final String WASI = "wasi_snapshot_preview1";
  private static final String CAPSULE = "capsule";
  private static final long PAGE = 65_536;

  /** The work of one call, charged before it runs. */
  @FunctionalInterface
  private interface Before {
    void charge(Instance instance, long[] args);
  }

  /** The work of one call known only after it ran. */
  @FunctionalInterface
  private interface After {
    void charge(Instance instance, long[] args, long[] results);
  }

  private record Price(Before before, After after) {}

  private final FuelMeter meter;
  private final Map<String, Price> prices = new HashMap<>();

  private HostCallCharges(FuelMeter meter, long argumentBytes, long environmentBytes) {
    this.meter = meter;
    wasiPrices(argumentBytes, environmentBytes);
    capsulePrices();
  }

  /**
   * The charges of one run metered by {@code meter}, whose WASI context serves these arguments and
   * environment variables.
   */
  public static HostCallCharges of(
      FuelMeter meter, List<String> arguments, Map<String, String> environment) {
    long argumentBytes = arguments.stream().mapToLong(a -> stringBytes(a)).sum();
    long environmentBytes =
        environment.entrySet().stream()
            .mapToLong(e -> stringBytes(e.getKey() + "=" + e.getValue()))
            .sum();
    return new HostCallCharges(meter, argumentBytes, environmentBytes);
  }

  /** A NUL-terminated string and the 4-byte pointer to it, as {@code args_get} writes them. */
  private static long stringBytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length + 1L + 4L;
  }

  /**
   * {@code functions}, each one this class prices wrapped so that it charges its work; the others
   * as they are.
   */
  public HostFunction[] wrap(HostFunction[] functions) {
    HostFunction[] out = functions.clone();
    for (int i = 0; i < out.length; i++) {
      Price price = prices.get(out[i].module() + "." + out[i].name());
      if (price != null) {
        out[i] = charging(out[i], price);
      }
    }
    return out;
  }

  private static HostFunction charging(HostFunction f, Price price) {
    return new HostFunction(
        f.module(),
        f.name(),
        f.functionType(),
        (instance, args) -> {
          price.before().charge(instance, args);
          long[] results = f.handle().apply(instance, args);
          price.after().charge(instance, args, results);
          return results;
        });
  }

  private void wasiPrices(long argumentBytes, long environmentBytes) {
    for (String name : List.of("fd_read", "fd_write", "fd_pread", "fd_pwrite")) {
      before(WASI, name, (i, a) -> payIovecs(i, a[1], a[2]));
    }
    before(WASI, "sock_recv", (i, a) -> payIovecs(i, a[1], a[2]));
    before(WASI, "sock_send", (i, a) -> payIovecs(i, a[1], a[2]));
    before(WASI, "random_get", (i, a) -> pay(i, u32(a[1]) * RANDOM_BYTE_COST));
    before(WASI, "poll_oneoff", (i, a) -> pay(i, u32(a[2]) * POLL_BYTES));
    before(WASI, "args_get", (i, a) -> pay(i, argumentBytes));
    before(WASI, "environ_get", (i, a) -> pay(i, environmentBytes));
    before(WASI, "fd_readdir", (i, a) -> pay(i, u32(a[2])));
    before(WASI, "fd_prestat_dir_name", (i, a) -> pay(i, u32(a[2])));
    for (String name :
        List.of("path_create_directory", "path_remove_directory", "path_unlink_file")) {
      before(WASI, name, (i, a) -> pay(i, u32(a[2])));
    }
    for (String name : List.of("path_filestat_get", "path_filestat_set_times", "path_open")) {
      before(WASI, name, (i, a) -> pay(i, u32(a[3])));
    }
    before(WASI, "path_link", (i, a) -> pay(i, u32(a[3]) + u32(a[6])));
    before(WASI, "path_readlink", (i, a) -> pay(i, u32(a[2]) + u32(a[4])));
    before(WASI, "path_rename", (i, a) -> pay(i, u32(a[2]) + u32(a[5])));
    before(WASI, "path_symlink", (i, a) -> pay(i, u32(a[1]) + u32(a[4])));
  }

  private void capsulePrices() {
    before(CAPSULE, "log", (i, a) -> pay(i, u32(a[1])));
    before(CAPSULE, "set_result", (i, a) -> pay(i, u32(a[1])));
    prices.put(
        CAPSULE + ".http_request",
        new Price(
            (i, a) -> pay(i, u32(a[1])),
            (i, a, r) -> pay(i, Integer.toUnsignedLong(i.memory().readInt((int) a[3])))));
    prices.put(
        CAPSULE + ".http_response_read",
        new Price((i, a) -> {}, (i, a, r) -> pay(i, Math.min(u32(a[2]), Math.max(0, r[0])))));
  }

  private void before(String module, String name, Before before) {
    prices.put(module + "." + name, new Price(before, (i, a, r) -> {}));
  }

  /**
   * Charges the iovec array first (so a huge count is refused before it is read), then the buffer
   * lengths of the iovecs that lie in memory (those outside make the call itself fail), each at
   * most the memory's size.
   */
  private void payIovecs(Instance instance, long iovs, long count) {
    long n = u32(count);
    pay(instance, n * IOVEC_BYTES);
    Memory memory = instance.memory();
    if (memory == null) {
      return;
    }
    long size = memory.pages() * PAGE;
    long end = Math.min(u32(iovs) + n * IOVEC_BYTES, size);
    long lengths = 0;
    for (long at = u32(iovs); at + IOVEC_BYTES <= end; at += IOVEC_BYTES) {
      // no buffer can be larger than the memory it lies in
      lengths += Math.min(Integer.toUnsignedLong(memory.readInt((int) at + 4)), size);
    }
    pay(instance, lengths);
  }

  private void pay(Instance instance, long bytes) {
    meter.charge(instance, bytes * PER_BYTE);
  }

  private static long u32(long arg) {
    return Integer.toUnsignedLong((int) arg);
  }
}
