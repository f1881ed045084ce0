package io.capsule.sandbox;

import com.dylibso.chicory.runtime.Instance;
import io.capsule.sandbox.internal.lang.GuestRequests;
import io.capsule.sandbox.internal.meter.FuelMeter;

/**
 * A task module (guest ABI v1): the call in argv and on stdin, the task's directories as preopens,
 * {@code _start}.
 */
final class ModuleStart extends GuestStart {
  ModuleStart(PreparedModule module, TaskCall call, GuestRequests requests, FuelMeter meter) {
    super(module, call, requests, meter);
  }

  @Override
  void start(Instance instance) {
    instance.export("_start").apply();
  }
}
