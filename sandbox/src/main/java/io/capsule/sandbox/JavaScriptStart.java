package io.capsule.sandbox;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import io.capsule.sandbox.internal.lang.GuestRequests;
import io.capsule.sandbox.internal.lang.QuickJsSession;
import io.capsule.sandbox.internal.meter.FuelMeter;
import java.nio.file.Path;

/**
 * A JavaScript (or stripped TypeScript) task on the QuickJS reactor: the initialised interpreter is
 * restored from its snapshot, then {@link QuickJsSession} runs the task file and its event loop.
 */
final class JavaScriptStart extends GuestStart {
  private final QuickJsSession session;
  private final Path cacheDir;

  JavaScriptStart(
      PreparedModule module,
      TaskCall call,
      GuestRequests requests,
      FuelMeter meter,
      Path cacheDir) {
    super(module, call, requests, meter);
    this.session = new QuickJsSession(requests, meter::charge);
    this.cacheDir = cacheDir;
  }

  @Override
  void addImports(ImportValues.Builder imports) {
    session.addImports(imports, module.module());
  }

  @Override
  boolean restoresSnapshot() {
    return true;
  }

  @Override
  boolean defersCharging() {
    return true;
  }

  @Override
  void start(Instance instance) {
    module.quickJsSnapshots().of(module, cacheDir).restore(instance);
    session.runTask(
        instance,
        module.script().fileName(),
        module.script().source(),
        call.taskName(),
        call.args(),
        () -> requests.start(null));
  }
}
