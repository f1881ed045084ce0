package io.capsule.sandbox.internal;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import io.capsule.sandbox.internal.meter.FuelMeter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a host call costs the running guest, in the one place that decides it: the fuel of the work
 * the host does on its behalf, and the host memory the call makes the host allocate, charged to the
 * attempt's {@link ResourceAccount} before the call runs and given back when it returns (or, for
 * {@code capsule.set_result}, when the result is replaced). A call the fuel budget cannot pay for
 * ends the run with {@code fuel_exhausted}, one whose bytes the account cannot hold with {@code
 * memory_limit} naming the call, in both cases before the host does the work. See {@code
 * docs/fuel.md} and {@code docs/guest-abi.md}.
 *
 * <p>Fuel: {@value #PER_BYTE} unit per byte the host reads, writes or copies — what a byte of
 * {@code memory.copy} costs the guest's own code — and more per random byte, which the JVM makes
 * slowly. The {@code call} operator itself still costs 1; these charges come on top.
 *
 * <table>
 *   <caption>Charges per host call, beyond the {@code call}</caption>
 *   <tr><th>Function</th><th>Fuel units</th><th>Host bytes held during the call</th></tr>
 *   <tr><td>{@code fd_read}, {@code fd_pread}</td>
 *       <td>{@value #IOVEC_BYTES} per iovec + the sum of the iovec lengths</td>
 *       <td>the largest iovec length, as asked (Chicory allocates a host array of that length per
 *       iovec before it reads)</td></tr>
 *   <tr><td>{@code fd_write}, {@code fd_pwrite}, {@code sock_recv}, {@code sock_send}</td>
 *       <td>{@value #IOVEC_BYTES} per iovec + the sum of the iovec lengths</td>
 *       <td>{@code fd_write}, {@code fd_pwrite}: the sum of the iovec lengths (each copied out of
 *       memory; at most the memory's size each)</td></tr>
 *   <tr><td>{@code random_get}</td><td>{@value #RANDOM_BYTE_COST} per byte asked for (the JVM's
 *       {@code SecureRandom} takes ~30–50 ns a byte, as long as 30–50 ordinary operators)</td>
 *       <td>none (Chicory fills a small array in turns)</td></tr>
 *   <tr><td>{@code poll_oneoff}</td><td>{@value #POLL_BYTES} per subscription (a 48-byte
 *       subscription read, a 32-byte event written)</td>
 *       <td>{@value #POLL_SUBSCRIPTION_BYTES} per subscription (Chicory decodes them into a list of
 *       objects)</td></tr>
 *   <tr><td>{@code path_*}, {@code fd_prestat_dir_name}</td><td>the length of every path and
 *       buffer argument</td><td>{@code path_*}: {@value #PATH_COPIES} × each path's length (its
 *       bytes and the string made of them)</td></tr>
 *   <tr><td>{@code fd_readdir}</td><td>the buffer length</td><td>none</td></tr>
 *   <tr><td>{@code args_get}, {@code environ_get}</td><td>the bytes written: the strings, their
 *       terminating NULs and a 4-byte pointer each</td><td>none (the host holds them anyway: set by
 *       the caller and the operator, not grown by the guest)</td></tr>
 *   <tr><td>{@code capsule.log}</td><td>the length</td><td>at most {@value #LOG_CHUNK} (the line
 *       is copied to the logs in chunks)</td></tr>
 *   <tr><td>{@code capsule.set_result}</td><td>the length</td><td>the length (at most {@value
 *       #MAX_RESULT_BYTES}; a longer result traps unread), kept until the attempt ends or the result
 *       is set again</td></tr>
 *   <tr><td>{@code capsule.http_request}</td><td>the request document's length (before), then
 *       the answer document's length (after)</td><td>charged by the HTTP imports themselves: the
 *       request while it runs, the body as it arrives, the answer until the guest reads it</td></tr>
 *   <tr><td>{@code capsule.http_response_read}</td><td>the bytes copied (after)</td>
 *       <td>none</td></tr>
 *   <tr><td>any other host function</td><td>nothing</td><td>nothing</td></tr>
 * </table>
 *
 * <p>Lengths are read as unsigned. A fuel charge the size of which the arguments give is made
 * before the function runs; the others (answers whose size only the host knows) are made after.
 * Interpreter guests pay the same through their own channels: the Python SDK's requests and answers
 * are {@code fd_write}s and {@code fd_read}s of stdin, and the JavaScript session charges its
 * {@code host_call} through {@link FuelMeter#charge}.
 */
public final class HostCallCharges {
  /** Fuel per byte of host work: a byte of {@code memory.copy}. */
  public static final long PER_BYTE = 1;

  /** Fuel per byte of {@code random_get}. */
  public static final long RANDOM_BYTE_COST = 32;

  /**
   * Host bytes one decoded {@code poll_oneoff} subscription takes at most: a list slot and an entry
   * of two boxed longs (Chicory 1.7.5), rounded up.
   */
  public static final long POLL_SUBSCRIPTION_BYTES = 96;

  /** The longest result {@code capsule.set_result} accepts; a longer one traps unread. */
  public static final int MAX_RESULT_BYTES = 16 << 20;

  /** The most bytes of a {@code capsule.log} line the host copies at once. */
  public static final int LOG_CHUNK = 64 << 10;

  /** Bytes of one iovec (a pointer and a length), read by the host. */
  static final long IOVEC_BYTES = 8;

  /** Bytes a {@code poll_oneoff} subscription makes the host read (48) and write (32). */
  static final long POLL_BYTES = 80;

  /** Host copies of a path argument: its bytes and the string decoded from them (up to 2×). */
  static final long PATH_COPIES = 3;

  private static final String WASI = "wasi_snapshot_preview1";
  private static final String CAPSULE = "capsule";
  private static final long PAGE = 65_536;

  /** Fuel for the work of one call, charged before it runs to the attempt's {@code charges}. */
  @FunctionalInterface
  private interface Before {
    void charge(HostCallCharges charges, Instance instance, long[] args);
  }

  /** Fuel for the work of one call known only after it ran. */
  @FunctionalInterface
  private interface After {
    void charge(HostCallCharges charges, Instance instance, long[] args, long[] results);
  }

  /** The host bytes one call makes the host allocate, read from its arguments before it runs. */
  @FunctionalInterface
  private interface Held {
    long bytes(Instance instance, long[] args);
  }

  private static final Held NOTHING = (i, a) -> 0;

  /**
   * What one function costs.
   *
   * @param kept whether the held bytes stay charged after the call, until the next call of the
   *     function replaces them
   */
  private record Price(Before before, After after, Held held, boolean kept) {}

  private static final After NO_AFTER = (c, i, a, r) -> {};

  // By module, then function name: built once (it is the same for every attempt, which only wraps
  // its own functions with it), and looked up without building a key string per function.
  private static final Map<String, Map<String, Price>> PRICES = prices();

  private final FuelMeter meter;
  private final ResourceAccount account;
  private final long argumentBytes;
  private final long environmentBytes;

  private HostCallCharges(
      FuelMeter meter, ResourceAccount account, long argumentBytes, long environmentBytes) {
    this.meter = meter;
    this.account = account;
    this.argumentBytes = argumentBytes;
    this.environmentBytes = environmentBytes;
  }

  /**
   * The charges of one run metered by {@code meter} and accounted by {@code account}, whose WASI
   * context serves these arguments and environment variables.
   */
  public static HostCallCharges of(
      FuelMeter meter,
      ResourceAccount account,
      List<String> arguments,
      Map<String, String> environment) {
    long argumentBytes = arguments.stream().mapToLong(a -> stringBytes(a)).sum();
    long environmentBytes =
        environment.entrySet().stream()
            .mapToLong(e -> stringBytes(e.getKey() + "=" + e.getValue()))
            .sum();
    return new HostCallCharges(meter, account, argumentBytes, environmentBytes);
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
      Map<String, Price> module = PRICES.get(out[i].module());
      Price price = module == null ? null : module.get(out[i].name());
      if (price != null) {
        out[i] = price.kept() ? keeping(out[i], price) : charging(out[i], price);
      }
    }
    return out;
  }

  private HostFunction charging(HostFunction f, Price price) {
    return new HostFunction(
        f.module(),
        f.name(),
        f.functionType(),
        (instance, args) -> {
          price.before().charge(this, instance, args);
          long held = hold(f, price, instance, args);
          try {
            long[] results = f.handle().apply(instance, args);
            price.after().charge(this, instance, args, results);
            return results;
          } finally {
            account.releaseBuffer(held);
          }
        });
  }

  /** A function whose bytes stay charged until its next call has replaced them. */
  private HostFunction keeping(HostFunction f, Price price) {
    long[] kept = {0};
    return new HostFunction(
        f.module(),
        f.name(),
        f.functionType(),
        (instance, args) -> {
          price.before().charge(this, instance, args);
          long held = hold(f, price, instance, args);
          long[] results;
          try {
            results = f.handle().apply(instance, args);
          } catch (RuntimeException | Error e) {
            account.releaseBuffer(held);
            throw e;
          }
          account.releaseBuffer(kept[0]);
          kept[0] = held;
          price.after().charge(this, instance, args, results);
          return results;
        });
  }

  /** Charges the bytes {@code f} is about to make the host allocate; the bytes charged. */
  private long hold(HostFunction f, Price price, Instance instance, long[] args) {
    long bytes = price.held().bytes(instance, args);
    if (bytes > 0 && !account.tryChargeBuffer(bytes)) {
      throw account.refuseBuffer(f.module() + "." + f.name() + refusal(f.name(), args, bytes));
    }
    return bytes;
  }

  private static String refusal(String name, long[] args, long bytes) {
    return name.equals("poll_oneoff")
        ? " of " + u32(args[2]) + " subscriptions (" + bytes + " host bytes)"
        : " holding " + bytes + " host bytes";
  }

  private static Map<String, Map<String, Price>> prices() {
    Map<String, Price> wasi = new HashMap<>();
    wasiPrices(wasi);
    Map<String, Price> capsule = new HashMap<>();
    capsulePrices(capsule);
    return Map.of(WASI, Map.copyOf(wasi), CAPSULE, Map.copyOf(capsule));
  }

  private static void wasiPrices(Map<String, Price> prices) {
    for (String name : List.of("fd_read", "fd_pread")) {
      price(
          prices,
          name,
          (c, i, a) -> c.payIovecs(i, a[1], a[2]),
          (i, a) -> largestIovec(i, a[1], a[2]));
    }
    for (String name : List.of("fd_write", "fd_pwrite")) {
      price(
          prices,
          name,
          (c, i, a) -> c.payIovecs(i, a[1], a[2]),
          (i, a) -> iovecLengths(i, a[1], a[2]));
    }
    before(prices, "sock_recv", (c, i, a) -> c.payIovecs(i, a[1], a[2]));
    before(prices, "sock_send", (c, i, a) -> c.payIovecs(i, a[1], a[2]));
    before(prices, "random_get", (c, i, a) -> c.pay(i, u32(a[1]) * RANDOM_BYTE_COST));
    price(
        prices,
        "poll_oneoff",
        (c, i, a) -> c.pay(i, u32(a[2]) * POLL_BYTES),
        (i, a) -> u32(a[2]) * POLL_SUBSCRIPTION_BYTES);
    before(prices, "args_get", (c, i, a) -> c.pay(i, c.argumentBytes));
    before(prices, "environ_get", (c, i, a) -> c.pay(i, c.environmentBytes));
    before(prices, "fd_readdir", (c, i, a) -> c.pay(i, u32(a[2])));
    before(prices, "fd_prestat_dir_name", (c, i, a) -> c.pay(i, u32(a[2])));
    for (String name :
        List.of("path_create_directory", "path_remove_directory", "path_unlink_file")) {
      paths(prices, name, a -> u32(a[2]));
    }
    for (String name : List.of("path_filestat_get", "path_filestat_set_times", "path_open")) {
      paths(prices, name, a -> u32(a[3]));
    }
    paths(prices, "path_link", a -> u32(a[3]) + u32(a[6]));
    paths(prices, "path_readlink", a -> u32(a[2]) + u32(a[4]));
    paths(prices, "path_rename", a -> u32(a[2]) + u32(a[5]));
    paths(prices, "path_symlink", a -> u32(a[1]) + u32(a[4]));
  }

  /** A path function: fuel for the lengths of its path and buffer arguments, bytes for copies. */
  private static void paths(
      Map<String, Price> prices, String name, java.util.function.ToLongFunction<long[]> lengths) {
    price(
        prices,
        name,
        (c, i, a) -> c.pay(i, lengths.applyAsLong(a)),
        (i, a) -> PATH_COPIES * lengths.applyAsLong(a));
  }

  private static void capsulePrices(Map<String, Price> prices) {
    prices.put(
        "log",
        new Price(
            (c, i, a) -> c.pay(i, u32(a[1])),
            NO_AFTER,
            (i, a) -> Math.min(u32(a[1]), LOG_CHUNK),
            false));
    prices.put(
        "set_result",
        new Price(
            (c, i, a) -> c.pay(i, u32(a[1])),
            NO_AFTER,
            (i, a) -> u32(a[1]) <= MAX_RESULT_BYTES ? u32(a[1]) : 0,
            true));
    prices.put(
        "http_request",
        new Price(
            (c, i, a) -> c.pay(i, u32(a[1])),
            (c, i, a, r) -> c.pay(i, Integer.toUnsignedLong(i.memory().readInt((int) a[3]))),
            NOTHING,
            false));
    prices.put(
        "http_response_read",
        new Price(
            (c, i, a) -> {},
            (c, i, a, r) -> c.pay(i, Math.min(u32(a[2]), Math.max(0, r[0]))),
            NOTHING,
            false));
  }

  private static void before(Map<String, Price> prices, String name, Before before) {
    price(prices, name, before, NOTHING);
  }

  private static void price(Map<String, Price> prices, String name, Before before, Held held) {
    prices.put(name, new Price(before, NO_AFTER, held, false));
  }

  /**
   * Charges the iovec array first (so a huge count is refused before it is read), then the buffer
   * lengths of the iovecs that lie in memory (those outside make the call itself fail), each at
   * most the memory's size.
   */
  private void payIovecs(Instance instance, long iovs, long count) {
    pay(instance, u32(count) * IOVEC_BYTES);
    pay(instance, iovecLengths(instance, iovs, count));
  }

  /** The sum of the lengths of the iovecs that lie in memory, each at most the memory's size. */
  private static long iovecLengths(Instance instance, long iovs, long count) {
    Memory memory = instance.memory();
    if (memory == null) {
      return 0;
    }
    long size = memory.pages() * PAGE;
    long lengths = 0;
    for (long at = u32(iovs); at + IOVEC_BYTES <= iovecsEnd(iovs, count, size); at += IOVEC_BYTES) {
      // no buffer can be larger than the memory it lies in
      lengths += Math.min(Integer.toUnsignedLong(memory.readInt((int) at + 4)), size);
    }
    return lengths;
  }

  /**
   * The largest length of the iovecs that lie in memory, as the guest wrote it (unsigned): a read
   * allocates a host array that long before it looks at the memory.
   */
  private static long largestIovec(Instance instance, long iovs, long count) {
    Memory memory = instance.memory();
    if (memory == null) {
      return 0;
    }
    long end = iovecsEnd(iovs, count, memory.pages() * PAGE);
    long largest = 0;
    for (long at = u32(iovs); at + IOVEC_BYTES <= end; at += IOVEC_BYTES) {
      largest = Math.max(largest, Integer.toUnsignedLong(memory.readInt((int) at + 4)));
    }
    return largest;
  }

  private static long iovecsEnd(long iovs, long count, long memorySize) {
    return Math.min(u32(iovs) + u32(count) * IOVEC_BYTES, memorySize);
  }

  private void pay(Instance instance, long bytes) {
    meter.charge(instance, bytes * PER_BYTE);
  }

  private static long u32(long arg) {
    return Integer.toUnsignedLong((int) arg);
  }
}
