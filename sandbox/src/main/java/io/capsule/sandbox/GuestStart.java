package io.capsule.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.sandbox.internal.lang.GuestRequests;
import io.capsule.sandbox.internal.meter.FuelMeter;
import io.capsule.sandbox.internal.wasi.Mount;
import io.capsule.sandbox.internal.wasi.WasiConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How one kind of guest starts in an attempt: a task module ({@link ModuleStart}), a Python script
 * ({@link PythonStart}) or a JavaScript script ({@link JavaScriptStart}). {@link TaskAttempt} does
 * the rest (limits, imports, instance, outcome) the same way for all. One per attempt.
 */
abstract class GuestStart {
  final PreparedModule module;
  final TaskCall call;
  final GuestRequests requests;
  private final FuelMeter meter;
  private volatile Instance instance;

  GuestStart(PreparedModule module, TaskCall call, GuestRequests requests, FuelMeter meter) {
    this.module = module;
    this.call = call;
    this.requests = requests;
    this.meter = meter;
  }

  /** The start of {@code module}'s kind of guest. */
  static GuestStart of(
      PreparedModule module,
      TaskCall call,
      GuestRequests requests,
      FuelMeter meter,
      Path cacheDir,
      Map<String, String> environment) {
    GuestScript script = module.script();
    if (script == null) {
      return new ModuleStart(module, call, requests, meter);
    }
    return script.language() == GuestScript.Language.PYTHON
        ? new PythonStart(module, call, requests, meter, cacheDir, environment)
        : new JavaScriptStart(module, call, requests, meter, cacheDir);
  }

  /**
   * The attempt's WASI settings: {@code common}'s streams, plus this kind's arguments and stdin —
   * unless a kind says otherwise, the call in argv and on stdin and the task's directories as
   * preopens.
   */
  WasiConfig wasi(WasiConfig.Builder common, List<Mount> mounts) {
    return common
        .withArguments(argv())
        .withStdin(callDocument(doc -> {}))
        .withMounts(mounts)
        .build();
  }

  /** The WASI functions the guest is given: {@code wasi} as is, unless this kind wraps some. */
  HostFunction[] wasiFunctions(HostFunction[] wasi) {
    return wasi;
  }

  /** Adds the imports this kind needs beyond WASI and the {@code capsule} module. */
  void addImports(ImportValues.Builder imports) {}

  /** Whether the instance's memory is overwritten by a snapshot before the guest runs. */
  boolean restoresSnapshot() {
    return false;
  }

  /**
   * Whether fuel counts only from {@link #startCharging()}: an interpreter's start-up is not the
   * task's work.
   */
  boolean defersCharging() {
    return false;
  }

  /** Runs the guest in {@code instance} until it is done. */
  final void run(Instance instance) {
    this.instance = instance;
    start(instance);
  }

  abstract void start(Instance instance);

  /** The guest says its task's own work begins (once per attempt), with its payload. */
  void taskStarted(JsonNode payload) {
    startCharging();
  }

  /** Fuel counts from here. */
  final void startCharging() {
    meter.restart(instance);
  }

  /** The instance the guest runs in, once {@link #run} began. */
  final Instance instance() {
    return instance;
  }

  /** {@code [task_name, arg…]}: a string argument as itself, any other JSON value as its text. */
  final List<String> argv() {
    List<String> argv = new ArrayList<>();
    argv.add(call.taskName());
    for (JsonNode arg : call.args()) {
      argv.add(arg.isTextual() ? arg.asText() : CapsuleJson.write(arg));
    }
    return argv;
  }

  /** {@code {"task": …, "args": […]}} and what {@code more} adds, as UTF-8 JSON. */
  final byte[] callDocument(java.util.function.Consumer<ObjectNode> more) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("task", call.taskName());
    doc.putArray("args").addAll(call.args());
    more.accept(doc);
    return CapsuleJson.writeBytes(doc);
  }
}
