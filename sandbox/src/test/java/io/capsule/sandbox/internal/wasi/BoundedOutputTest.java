package io.capsule.sandbox.internal.wasi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.MemoryLimitException;
import io.capsule.sandbox.internal.ResourceAccount;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BoundedOutputTest {

  @Test
  void growthIsChargedToTheAccountUpToTheLimitButNotInItsPeak() {
    ResourceAccount account = ResourceAccount.forRam(0);
    var out = BoundedOutput.head(1 << 20).chargedTo(account, "stdout");
    byte[] chunk = new byte[64 << 10];
    for (int i = 0; i < 64; i++) {
      out.write(chunk, 0, chunk.length);
    }

    assertThat(out.toByteArray()).hasSize(1 << 20);
    assertThat(out.droppedBytes()).isEqualTo(3L << 20);
    assertThat(account.used()).isEqualTo(1 << 20);
    assertThat(account.peak()).isZero();
  }

  @Test
  void aGrowthTheAccountRefusesEndsTheWriteAsMemoryLimit() {
    ResourceAccount account = ResourceAccount.forRam(0);
    account.tryCharge(ResourceAccount.MIN_HOST_ALLOWANCE - 1000, "memory");
    var out = BoundedOutput.tail(64 << 10).chargedTo(account, "stderr");

    assertThatThrownBy(() -> out.write(new byte[4096], 0, 4096))
        .isInstanceOf(MemoryLimitException.class)
        .hasMessageContaining("growing the stderr capture to 4096 bytes");
    assertThat(account.refusal()).contains("stderr capture");
  }

  @Test
  void headKeepsTheFirstBytesAndCountsTheRest() {
    var out = BoundedOutput.head(5);
    out.write(bytes("abc"), 0, 3);
    out.write(bytes("defgh"), 0, 5);
    out.write('i');

    assertThat(out.text()).isEqualTo("abcde");
    assertThat(out.totalBytes()).isEqualTo(9);
    assertThat(out.droppedBytes()).isEqualTo(4);
    assertThat(out.truncated()).isTrue();
  }

  @Test
  void tailKeepsTheLastBytesAcrossManySmallWrites() {
    var out = BoundedOutput.tail(4);
    for (char c : "abcdefghij".toCharArray()) {
      out.write(c);
    }

    assertThat(out.text()).isEqualTo("ghij");
    assertThat(out.droppedBytes()).isEqualTo(6);
  }

  @Test
  void tailKeepsTheEndOfOneWriteLargerThanTheLimit() {
    var out = BoundedOutput.tail(4);
    out.write(bytes("ab"), 0, 2);
    out.write(bytes("0123456789"), 2, 8);

    assertThat(out.text()).isEqualTo("6789");
    assertThat(out.totalBytes()).isEqualTo(10);
  }

  @Test
  void tailWrapsAroundItsRing() {
    var out = BoundedOutput.tail(6);
    out.write(bytes("abcd"), 0, 4);
    out.write(bytes("efg"), 0, 3);
    out.write(bytes("hi"), 0, 2);

    assertThat(out.text()).isEqualTo("defghi");
  }

  @Test
  void underTheLimitNothingIsDropped() {
    var out = BoundedOutput.tail(1024);
    out.write(bytes("hello"), 0, 5);

    assertThat(out.text()).isEqualTo("hello");
    assertThat(out.truncated()).isFalse();
  }

  @Test
  void aZeroLimitKeepsNothing() {
    var head = BoundedOutput.head(0);
    var tail = BoundedOutput.tail(0);
    head.write(bytes("abc"), 0, 3);
    tail.write(bytes("abc"), 0, 3);

    assertThat(head.toByteArray()).isEmpty();
    assertThat(tail.toByteArray()).isEmpty();
    assertThat(tail.droppedBytes()).isEqualTo(3);
  }

  @Test
  void defaultsAreOneMebibyteHeadAndSixtyFourKibibyteTail() {
    var stdout = BoundedOutput.forStdout();
    var stderr = BoundedOutput.forStderr();
    byte[] big = new byte[2 << 20];
    big[0] = 'S';
    big[big.length - 1] = 'E';
    stdout.write(big, 0, big.length);
    stderr.write(big, 0, big.length);

    assertThat(stdout.toByteArray()).hasSize(1 << 20).startsWith((byte) 'S');
    assertThat(stderr.toByteArray()).hasSize(64 << 10).endsWith((byte) 'E');
  }

  @Test
  void aNegativeLimitIsRejected() {
    assertThatThrownBy(() -> BoundedOutput.head(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
