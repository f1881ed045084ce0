package io.capsule.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.ErrorType;
import io.capsule.protocol.MemoryLimitException;
import org.junit.jupiter.api.Test;

class ResourceAccountTest {
  private static final long MIB = 1L << 20;

  @Test
  void theLimitIsTheRamCapPlusAQuarterOfItAndAtLeastSixteenMebibytes() {
    assertThat(ResourceAccount.forRam(MIB).limit()).isEqualTo(17 * MIB);
    assertThat(ResourceAccount.forRam(256 * MIB).limit()).isEqualTo(320 * MIB);
  }

  @Test
  void aChargePastTheLimitIsRefusedAndTheFirstRefusalIsRemembered() {
    var account = ResourceAccount.forRam(MIB);
    assertThat(account.tryCharge(10 * MIB, "first")).isTrue();
    assertThat(account.tryCharge(10 * MIB, "table.grow of 10 entries")).isFalse();
    assertThat(account.tryCharge(20 * MIB, "later")).isFalse();
    assertThat(account.used()).isEqualTo(10 * MIB);
    assertThat(account.refusal())
        .startsWith("table.grow of 10 entries refused")
        .contains(String.valueOf(17 * MIB));
  }

  @Test
  void thePeakIsWhatTheGuestHeldNotItsCallFrames() {
    var account = ResourceAccount.forRam(MIB);
    account.charge(MIB, "memory");
    account.chargeFrame(4 * MIB);
    account.releaseFrame(4 * MIB);
    account.charge(MIB, "table");
    account.release(MIB);
    assertThat(account.peak()).isEqualTo(2 * MIB);
    assertThat(account.used()).isEqualTo(MIB);
  }

  @Test
  void aFrameTheAccountCannotHoldIsAMemoryLimit() {
    var account = ResourceAccount.forRam(MIB);
    account.charge(16 * MIB, "tables");
    assertThatThrownBy(() -> account.chargeFrame(2 * MIB))
        .isInstanceOf(MemoryLimitException.class)
        .hasMessageContaining("recursion too deep")
        .extracting(e -> ((MemoryLimitException) e).errorType())
        .isEqualTo(ErrorType.MEMORY_LIMIT);
  }
}
