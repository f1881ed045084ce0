package io.capsule.sandbox;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.Sha256;
import io.capsule.sandbox.internal.lang.GuestRequests;
import io.capsule.sandbox.internal.lang.PreparationSteps;
import io.capsule.sandbox.internal.lang.QuickJsSession;
import io.capsule.sandbox.internal.lang.ReactorSnapshot;
import io.capsule.sandbox.internal.lang.SnapshotFiles;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import io.capsule.sandbox.internal.meter.FuelMeter;
import io.capsule.sandbox.internal.wasi.GuardedWasi;
import io.capsule.sandbox.internal.wasi.WasiConfig;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The initialised QuickJS of one prepared interpreter module: {@code _initialize}, runtime and
 * context creation and the SDK prelude, done once and {@linkplain ReactorSnapshot captured}; every
 * JavaScript task then starts from a copy. Held by the {@link PreparedModule} (shared by all the
 * scripts bound to it), and on disk under {@code <cache>/snapshots/}, keyed by the instrumented
 * module's digest (which covers the interpreter and the fuel instrumenter), the prelude's text, the
 * Chicory version and the snapshot format; files are published atomically.
 *
 * <p>The state holds nothing of any task: the prelude reads the environment, the seed of {@code
 * Math.random} and everything else task-specific only when a task begins.
 */
final class QuickJsSnapshots {
  private static final String FORMAT = "1";

  private final AtomicInteger made = new AtomicInteger();
  private volatile ReactorSnapshot snapshot;

  /**
   * The snapshot of {@code module}, from memory, disk, or made now (on the calling thread, which
   * must have a guest-sized stack).
   */
  ReactorSnapshot of(PreparedModule module, Path cacheDir) {
    ReactorSnapshot current = snapshot;
    if (current == null) {
      synchronized (this) {
        current = snapshot;
        if (current == null) {
          current = load(module, cacheDir);
          snapshot = current;
        }
      }
    }
    return current;
  }

  /**
   * The snapshot of {@code module} from memory or disk, never made now: {@code null} when this
   * installation has none (a built artifact refuses to run rather than start from another).
   */
  ReactorSnapshot existing(PreparedModule module, Path cacheDir) {
    ReactorSnapshot current = snapshot;
    if (current == null && cacheDir != null) {
      synchronized (this) {
        current = snapshot;
        if (current == null) {
          current = new SnapshotFiles(cacheDir).read(fileName(module));
          snapshot = current;
        }
      }
    }
    return current;
  }

  /**
   * {@link #of}, for a caller that prepares ahead of the first task: whether the snapshot had to be
   * made now ({@code false} when it was in memory or on disk).
   */
  boolean prepare(PreparedModule module, Path cacheDir) {
    int before = made.get();
    of(module, cacheDir);
    return made.get() != before;
  }

  private ReactorSnapshot load(PreparedModule module, Path cacheDir) {
    if (cacheDir == null) {
      return make(module);
    }
    var snapshots = new SnapshotFiles(cacheDir);
    String name = fileName(module);
    ReactorSnapshot snapshot = snapshots.read(name);
    if (snapshot == null) {
      long start = System.nanoTime();
      snapshot = make(module);
      snapshots.write(name, snapshot);
      System.err.println(
          "capsule: QuickJS start-up snapshot made in "
              + PreparationSteps.seconds(Duration.ofNanos(System.nanoTime() - start))
              + " (one time; cached in "
              + cacheDir
              + ")");
    }
    return snapshot;
  }

  private ReactorSnapshot make(PreparedModule module) {
    ReactorSnapshot snapshot = initialise(module);
    made.incrementAndGet();
    return snapshot;
  }

  private static ReactorSnapshot initialise(PreparedModule module) {
    var requests =
        new GuestRequests(
            null,
            (name, args) -> {
              throw new InvalidRequestException("no task runs while the interpreter starts");
            },
            result -> {},
            OutputStream.nullOutputStream(),
            Map.of(),
            List.of());
    var session = new QuickJsSession(requests);
    var meter = new FuelMeter(Long.MAX_VALUE);
    meter.deferCharging();
    try (var wasi = GuardedWasi.create(WasiConfig.builder().build())) {
      var imports =
          ImportValues.builder()
              .addFunction(wasi.toHostFunctions())
              .addFunction(meter.refillFunction());
      session.addImports(imports, module.module());
      var builder =
          Instance.builder(module.module()).withImportValues(imports.build()).withStart(false);
      if (module.machineFactory() != null) {
        builder.withMachineFactory(module.machineFactory());
      }
      Instance instance = builder.build();
      session.initialise(instance);
      return ReactorSnapshot.capture(instance, Set.of(FuelInstrumenter.FUEL_GLOBAL));
    }
  }

  private static String fileName(PreparedModule module) {
    String identity =
        String.join(
            "\0",
            module.digest(),
            QuickJsSession.prelude(),
            ModulePreparer.CHICORY_VERSION,
            FORMAT);
    String key = Sha256.hex(identity.getBytes(StandardCharsets.UTF_8));
    return "quickjs-" + key + ".snap";
  }
}
