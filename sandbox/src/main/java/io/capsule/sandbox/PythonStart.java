package io.capsule.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.sandbox.internal.lang.GuestRequests;
import io.capsule.sandbox.internal.lang.PythonChannel;
import io.capsule.sandbox.internal.lang.PythonSdk;
import io.capsule.sandbox.internal.meter.FuelMeter;
import io.capsule.sandbox.internal.wasi.Mount;
import io.capsule.sandbox.internal.wasi.WasiConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A Python task on CPython: the boot script reads the task document from stdin, whose first read is
 * where a resumed interpreter's snapshot was taken (it is rewound there) or where a cold one's
 * start-up ends. The SDK talks to the host through {@link PythonChannel}.
 */
final class PythonStart extends GuestStart {
  private final PythonSnapshots.Resume resume;
  private final Path cacheDir;
  private final Map<String, String> environment;

  PythonStart(
      PreparedModule module,
      TaskCall call,
      GuestRequests requests,
      FuelMeter meter,
      Path cacheDir,
      Map<String, String> environment) {
    super(module, call, requests, meter);
    this.resume = module.pythonResume();
    this.cacheDir = cacheDir;
    this.environment = environment;
  }

  @Override
  WasiConfig wasi(WasiConfig.Builder common, List<Mount> mounts) {
    var builder = common.withArguments(PythonSdk.ARGV).withStdin(scriptDocument());
    if (resume != null) {
      // the snapshot's preopens are fixed: the task's directories are served under its root
      return PythonSnapshots.preopens(builder, cacheDir, mounts).build();
    }
    return builder.withMounts(mounts).withMount(PythonSnapshots.sdkMount(cacheDir)).build();
  }

  @Override
  HostFunction[] wasiFunctions(HostFunction[] wasi) {
    Runnable begin = resume == null ? this::startCharging : this::resumed;
    return new PythonChannel(requests, begin).wrap(wasi);
  }

  @Override
  boolean restoresSnapshot() {
    return resume != null;
  }

  @Override
  boolean defersCharging() {
    return true;
  }

  @Override
  void start(Instance instance) {
    if (resume != null) {
      resume.snapshot().restore(instance);
      instance.export("asyncify_start_rewind").apply(resume.dataAddress());
    }
    instance.export("_start").apply();
  }

  /**
   * A resumed interpreter has rebuilt its stack down to the read of stdin it was snapshotted in:
   * the rewind ends, and the task's own work (and fuel) begins.
   */
  private void resumed() {
    instance().export("asyncify_stop_rewind").apply();
    startCharging();
  }

  /**
   * The boot script's start message: a resumed interpreter sends the task file's compiled code
   * along when it had to compile it, for the next tasks of the same file.
   */
  @Override
  void taskStarted(JsonNode payload) {
    startCharging();
    GuestScript script = module.script();
    if (resume != null && payload != null && payload.isTextual()) {
      resume.compiled().put(script.fileName(), script.source(), payload.asText());
    }
  }

  private byte[] scriptDocument() {
    GuestScript script = module.script();
    String compiled =
        resume == null ? null : resume.compiled().get(script.fileName(), script.source());
    return callDocument(
        doc -> {
          doc.put("file", script.fileName());
          doc.put("source", script.source());
          if (compiled != null) {
            doc.put("code", compiled);
          }
          var env = doc.putObject("env");
          environment.forEach(env::put);
        });
  }
}
