package io.capsule.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.Execution;
import io.capsule.protocol.FileGrant;
import io.capsule.protocol.FuelExhaustedException;
import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.MemoryLimitException;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TimeoutExceededException;
import io.capsule.sandbox.internal.AccountedInterpreter;
import io.capsule.sandbox.internal.AccountedTable;
import io.capsule.sandbox.internal.CappedMemory;
import io.capsule.sandbox.internal.HostCallCharges;
import io.capsule.sandbox.internal.ResourceAccount;
import io.capsule.sandbox.internal.lang.GuestRequests;
import io.capsule.sandbox.internal.meter.FuelMeter;
import io.capsule.sandbox.internal.net.HttpImports;
import io.capsule.sandbox.internal.net.HttpTransport;
import io.capsule.sandbox.internal.wasi.BoundedOutput;
import io.capsule.sandbox.internal.wasi.GuardedWasi;
import io.capsule.sandbox.internal.wasi.GuestEnvironment;
import io.capsule.sandbox.internal.wasi.Mount;
import io.capsule.sandbox.internal.wasi.WasiConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One attempt of one task: builds the instance, runs {@code _start}, turns the outcome into an
 * envelope.
 */
final class TaskAttempt {
  private static final long PAGE = 65_536;

  private final SandboxConfig config;
  private final PreparedModule module;
  private final TaskCall call;
  private final ExecutorService threads;

  private final BoundedOutput stdout;
  private final BoundedOutput stderr;
  private final GuestLines lines;
  private final HostImports host;
  private final HttpImports http;
  private final FuelMeter meter;
  private final GuestRequests.SubTasks subTasks;
  private volatile GuestRequests requests;
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile GuardedWasi wasi;
  private final ResourceAccount account;
  private volatile Instance instance;
  private volatile GuestStart guest;
  private CappedMemory memory; // the guest thread's

  TaskAttempt(
      SandboxConfig config,
      PreparedModule module,
      TaskCall call,
      ExecutorService threads,
      HttpTransport transport,
      GuestRequests.SubTasks subTasks,
      FuelMeter.Pool fuelPool,
      Consumer<String> output) {
    this.subTasks = subTasks;
    this.config = config;
    this.module = module;
    this.call = call;
    this.threads = threads;
    this.account = ResourceAccount.forRam(pages(ramBytes()) * PAGE);
    this.stdout = BoundedOutput.head(config.maxStdoutBytes()).chargedTo(account, "stdout");
    this.lines = new GuestLines(output);
    this.stderr =
        BoundedOutput.tail(config.maxStderrBytes()).chargedTo(account, "stderr").observedBy(lines);
    this.host = new HostImports(stderr);
    this.http =
        HttpImports.forAttempt(
            transport.withOperatorHosts(config.ceiling().allowedHosts()), call.options(), account);
    this.meter =
        new FuelMeter(call.options().computeOrDefault().fuel(), config.fuelChunk(), fuelPool);
  }

  /** Runs the attempt; never throws for anything the task did. */
  ResultEnvelope run() {
    long start = System.nanoTime();
    CapsuleException failure = null;
    try {
      execute();
    } catch (CapsuleException e) {
      failure = e;
    }
    if (failure != null) {
      failure = Outcomes.blameDenials(failure, wasi, http.firstDenial());
    }
    lines.finish();
    Execution execution = execution(System.nanoTime() - start);
    ResultEnvelope envelope =
        failure == null
            ? ResultEnvelope.success(result(), execution)
            : ResultEnvelope.failure(failure.toTaskError(), execution);
    return envelope.withLogs(stderr.text());
  }

  private void execute() {
    int capPages = capPages();
    if (module.initialPages() > capPages) {
      throw new MemoryLimitException(
          "module needs "
              + module.initialPages() * PAGE
              + " bytes of initial memory, more than its ram cap of "
              + capPages * PAGE);
    }
    WasiConfig wasiConfig = wasiConfig();
    Future<?> running = threads.submit(() -> runGuest(wasiConfig, capPages));
    awaitOutcome(running);
  }

  private WasiConfig wasiConfig() {
    var options = call.options();
    List<FileGrant> grants = options.allowedFiles() == null ? List.of() : options.allowedFiles();
    List<String> names = options.envVariables() == null ? List.of() : options.envVariables();
    Map<String, String> environment = GuestEnvironment.select(names, config.environment());
    List<Mount> mounts = FileGrants.mounts(grants, config.filesRoot(), config.cacheDir());
    this.requests =
        new GuestRequests(http, subTasks, host::result, stderr, environment, List.copyOf(mounts));
    this.guest = GuestStart.of(module, call, requests, meter, cacheDir(), environment);
    var common =
        WasiConfig.builder().withStdout(stdout).withStderr(stderr).withEnvironment(environment);
    return guest.wasi(common, mounts);
  }

  private void runGuest(WasiConfig wasiConfig, int capPages) {
    try {
      runStart(wasiConfig, capPages);
    } finally {
      if (memory != null) {
        memory.release(); // no guest code runs on it any more: a later attempt may reuse it
      }
      finished.countDown();
    }
  }

  private void runStart(WasiConfig wasiConfig, int capPages) {
    try (var wasi = GuardedWasi.create(wasiConfig)) {
      this.wasi = wasi;
      HostFunction[] wasiFunctions = guest.wasiFunctions(wasi.toHostFunctions());
      if (guest.defersCharging()) {
        meter.deferCharging();
      }
      requests.onTaskStart(guest::taskStarted);
      var charges =
          HostCallCharges.of(meter, account, wasiConfig.arguments(), wasiConfig.environment());
      var importsBuilder =
          ImportValues.builder()
              .addFunction(charges.wrap(wasiFunctions))
              .addFunction(charges.wrap(host.functions()))
              .addFunction(charges.wrap(http.functions()))
              .addFunction(meter.refillFunction());
      guest.addImports(importsBuilder);
      boolean restoresSnapshot = guest.restoresSnapshot();
      var builder =
          Instance.builder(module.module())
              .withImportValues(importsBuilder.build())
              .withStart(false)
              .withMemoryFactory(
                  limits ->
                      memory =
                          restoresSnapshot
                              ? CappedMemory.forSnapshotRestore(limits, capPages, account)
                              : CappedMemory.create(limits, capPages, account))
              .withTableFactory((table, init) -> AccountedTable.create(table, init, account));
      if (module.machineFactory() != null) {
        builder.withMachineFactory(module.machineFactory());
      } else {
        builder.withMachineFactory(i -> new AccountedInterpreter(i, account));
      }
      instance = builder.build();
      guest.run(instance);
    } catch (WasiExitException e) {
      if (e.exitCode() != 0 && requests.error() == null) {
        throw e;
      }
    }
    checkFuelAtEnd();
    if (requests.error() != null) {
      throw Outcomes.reported(requests.error(), account);
    }
  }

  private java.nio.file.Path cacheDir() {
    return SandboxConfig.cacheDirOrTemp(config.cacheDir());
  }

  /** Checks happen at calls and loop headers, so a run can end overdrawn: that is exhaustion. */
  private void checkFuelAtEnd() {
    if (meter.exhausted(FuelMeter.fuelGlobal(instance))) {
      throw new FuelExhaustedException(meter.budget());
    }
  }

  private void awaitOutcome(Future<?> running) {
    Duration timeout = call.options().timeout();
    try {
      if (timeout == null) {
        running.get();
      } else {
        running.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      }
    } catch (java.util.concurrent.TimeoutException e) {
      stop(running);
      throw new TimeoutExceededException(timeout);
    } catch (InterruptedException e) {
      stop(running);
      Thread.currentThread().interrupt();
      throw new io.capsule.protocol.InternalException("interrupted while waiting for the task", e);
    } catch (ExecutionException e) {
      throw Outcomes.classify(e.getCause(), account, lastLine(stderr));
    }
  }

  /**
   * Stops a guest that overran: the meter stops it at its next fuel check (this is what stops loops
   * in functions Chicory interprets), the interrupt stops compiled code and host waits. The caller
   * waits up to the stop grace for the guest thread to let go.
   */
  private void stop(Future<?> running) {
    meter.stop();
    running.cancel(true);
    try {
      finished.await(config.stopGrace().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String lastLine(BoundedOutput out) {
    String text = out.text().strip();
    return text.substring(text.lastIndexOf('\n') + 1);
  }

  private int capPages() {
    long bytes = ramBytes();
    if (bytes > config.maxRam().bytes()) {
      throw new InvalidRequestException(
          "ram "
              + call.options().ram()
              + " exceeds this sandbox's largest cap of "
              + config.maxRam());
    }
    return pages(bytes);
  }

  private long ramBytes() {
    return call.options().ram() != null
        ? call.options().ram().bytes()
        : config.defaultRam().bytes();
  }

  private static int pages(long ramBytes) {
    return (int) Math.max(1, Math.min(ramBytes / PAGE, 65_536));
  }

  private JsonNode result() {
    byte[] bytes = host.result() != null ? host.result() : stdout.toByteArray();
    return Outcomes.parseResult(new String(bytes, StandardCharsets.UTF_8));
  }

  private Execution execution(long nanos) {
    long ram = account.peak();
    Instance i = instance;
    long fuel = i == null ? 0 : meter.consumed(FuelMeter.fuelGlobal(i));
    return new Execution(
        call.taskName(), TimeUnit.NANOSECONDS.toMillis(nanos), 0, fuel, ram, http.requests());
  }
}
