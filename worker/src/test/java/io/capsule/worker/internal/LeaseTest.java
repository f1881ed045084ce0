package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The lease gate on a fake clock: what a publisher may send, and when it must wait. */
class LeaseTest {
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);
  private static final Duration TERM = Duration.ofSeconds(3);

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final Lease lease = new Lease(TERM, clock::get);

  private void advance(Duration by) {
    clock.addAndGet(by.toNanos());
  }

  @Test
  void aClaimIsHeldOnlyWithinTheTermOfTheLastConfirmation() {
    Lease.Claim claim = lease.claim(P0);
    assertThat(claim.now()).as("never confirmed").isEqualTo(Lease.Standing.UNCONFIRMED);

    lease.confirmed(lease.now());
    assertThat(claim.now()).isEqualTo(Lease.Standing.HELD);
    advance(TERM.minusMillis(1));
    assertThat(claim.now()).isEqualTo(Lease.Standing.HELD);
    advance(Duration.ofMillis(2)); // a frozen process wakes up past the term
    assertThat(claim.now()).isEqualTo(Lease.Standing.UNCONFIRMED);

    lease.confirmed(lease.now());
    assertThat(claim.now()).isEqualTo(Lease.Standing.HELD);
  }

  @Test
  void aConfirmationIsDatedBySendingNotByAnswer() {
    Lease.Claim claim = lease.claim(P0);
    long sentAt = lease.now();
    advance(TERM.plusSeconds(1)); // the answer came after a freeze longer than the term
    lease.confirmed(sentAt);
    assertThat(claim.now()).isEqualTo(Lease.Standing.UNCONFIRMED);
  }

  @Test
  void anOlderConfirmationAnsweredLateDoesNotShortenTheLease() {
    long early = lease.now();
    advance(Duration.ofSeconds(1));
    lease.confirmed(lease.now());
    lease.confirmed(early);
    advance(Duration.ofMillis(2_500));
    assertThat(lease.claim(P0).now()).isEqualTo(Lease.Standing.HELD);
  }

  @Test
  void revokedOrReassignedPartitionsLoseTheirClaimsForGoodWhateverTheConfirmations() {
    lease.confirmed(lease.now());
    Lease.Claim zero = lease.claim(P0);
    Lease.Claim one = lease.claim(P1);

    lease.revoke(List.of(P0));
    lease.confirmed(lease.now());
    assertThat(zero.now()).isEqualTo(Lease.Standing.LOST);
    assertThat(one.now()).isEqualTo(Lease.Standing.HELD);

    lease.renew(List.of(P0)); // assigned back: a record fetched before is still not ours
    assertThat(zero.now()).isEqualTo(Lease.Standing.LOST);
    assertThat(lease.claim(P0).now()).isEqualTo(Lease.Standing.HELD);

    lease.revokeAll();
    assertThat(one.now()).isEqualTo(Lease.Standing.LOST);
  }

  @Test
  void aPublisherWithAStaleLeaseWaitsForTheHoldersConfirmation() {
    Lease.Claim claim = lease.claim(P0);
    CompletableFuture<Lease.Standing> standing =
        CompletableFuture.supplyAsync(() -> claim.await(Duration.ofSeconds(30)));

    await().atMost(Duration.ofSeconds(10)).until(() -> lease.confirmationDue(false));
    assertThat(standing).isNotDone();
    lease.confirmed(lease.now());

    assertThat(standing.join()).isEqualTo(Lease.Standing.HELD);
    assertThat(lease.confirmationDue(false)).isFalse();
  }

  @Test
  void aPublisherWithAStaleLeaseLearnsOfTheLossWhileWaiting() {
    Lease.Claim claim = lease.claim(P0);
    CompletableFuture<Lease.Standing> standing =
        CompletableFuture.supplyAsync(() -> claim.await(Duration.ofSeconds(30)));

    await().atMost(Duration.ofSeconds(10)).until(() -> lease.confirmationDue(false));
    lease.revoke(List.of(P0)); // the poll thread found its partitions lost

    assertThat(standing.join()).isEqualTo(Lease.Standing.LOST);
  }

  @Test
  void aPublisherGivesUpWaitingAfterItsBoundWhenNobodyAnswers() {
    assertThat(lease.claim(P0).await(Duration.ofMillis(100))).isEqualTo(Lease.Standing.UNCONFIRMED);
  }

  @Test
  void theHolderConfirmsAheadOfTimeOnlyWhileRecordsAreInFlight() {
    lease.confirmed(lease.now());
    assertThat(lease.confirmationDue(true)).isFalse();
    advance(TERM.dividedBy(2).plusMillis(1));
    assertThat(lease.confirmationDue(true)).isTrue();
    assertThat(lease.confirmationDue(false)).isFalse();
  }

  @Test
  void anUnfencedClaimIsAlwaysHeld() {
    assertThat(Lease.UNFENCED.now()).isEqualTo(Lease.Standing.HELD);
    assertThat(Lease.UNFENCED.await()).isEqualTo(Lease.Standing.HELD);
  }
}
