package io.capsule.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.capsule.protocol.MemoryLimitException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HostBufferChargesTest {
  private static final FunctionType POLL =
      FunctionType.of(
          List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32));

  @Test
  void pollSubscriptionsAreChargedWhileTheCallRunsAndGivenBackAfter() {
    ResourceAccount account = ResourceAccount.forRam(0);
    AtomicLong during = new AtomicLong(-1);
    HostFunction poll = wrapped(account, during);

    long[] results = poll.handle().apply(null, 0, 0, 1000, 0);

    assertThat(results).containsExactly(0);
    assertThat(during.get()).isEqualTo(1000 * HostBufferCharges.POLL_SUBSCRIPTION_BYTES);
    assertThat(account.used()).isZero();
    assertThat(account.peak()).isZero();
  }

  @Test
  void aCountTheAccountCannotHoldIsRefusedBeforeTheCallRuns() {
    ResourceAccount account = ResourceAccount.forRam(0);
    AtomicLong during = new AtomicLong(-1);
    HostFunction poll = wrapped(account, during);

    // an unsigned count of 2^32 - 1: about 412 GB of decoded subscriptions
    assertThatThrownBy(() -> poll.handle().apply(null, 0, 0, -1, 0))
        .isInstanceOf(MemoryLimitException.class)
        .hasMessageContaining("poll_oneoff of 4294967295 subscriptions");
    assertThat(during.get()).as("the call did not run").isEqualTo(-1);
    assertThat(account.used()).isZero();
    assertThat(account.refusal()).contains("poll_oneoff");
  }

  @Test
  void otherFunctionsAreLeftAsTheyAre() {
    HostFunction other =
        new HostFunction("wasi_snapshot_preview1", "fd_write", POLL, (i, a) -> new long[] {0});
    HostFunction[] out =
        HostBufferCharges.wrap(new HostFunction[] {other}, ResourceAccount.forRam(0));
    assertThat(out[0]).isSameAs(other);
  }

  private static HostFunction wrapped(ResourceAccount account, AtomicLong during) {
    HostFunction poll =
        new HostFunction(
            "wasi_snapshot_preview1",
            "poll_oneoff",
            POLL,
            (instance, args) -> {
              during.set(account.used());
              return new long[] {0};
            });
    return HostBufferCharges.wrap(new HostFunction[] {poll}, account)[0];
  }
}
