package io.capsule.worker;

import static io.capsule.worker.TestFleet.request;
import static io.capsule.worker.WorkerIT.awaitFinal;
import static io.capsule.worker.WorkerIT.deadLettersOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TopicSpec;
import io.capsule.sandbox.WatAssembler;
import io.capsule.sandbox.testing.Corpus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A hostile request near the tasks topic's record limit that fails: its dead letter (request and
 * last envelope) is larger than one record of Kafka's defaults. It must still end on the
 * dead-letter topic — whole when the topic is sized by the contract, cut to its coordinates
 * otherwise — and never hold back its partition's commits.
 */
@ExtendWith(KafkaBrokerExtension.class)
class OversizedRecordsIT {
  private static final Duration BOUND = Duration.ofSeconds(90);

  /** Bytes of the hostile module's data segment: its request is ~1,000,000 bytes of JSON. */
  private static final int PADDING = 760_000;

  @Test
  void aFailingRequestTooLargeToDeadLetterWholeIsDeadLetteredByItsCoordinates(
      @BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      fleet.startWorker(c -> c.withLevels(Set.of(ComputeLevel.MEDIUM)));
      TaskRequest hostile = fleet.submit(hostileRequest());
      TaskRequest next = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));

      assertThat(awaitFinal(fleet, hostile.id()).success()).isFalse();
      assertThat(awaitFinal(fleet, next.id()).success()).isTrue();
      await().atMost(BOUND).until(() -> deadLettersOf(fleet, hostile.id()), l -> l.size() == 1);
      await().atMost(BOUND).until(() -> fleet.committedOffset(ComputeLevel.MEDIUM, 0) == 2);

      DeadLetter letter = deadLettersOf(fleet, hostile.id()).get(0);
      assertThat(letter.replayable()).isFalse();
      assertThat(letter.request()).isNull();
      assertThat(letter.envelope()).isNull();
      assertThat(letter.attempt()).isEqualTo(1);
      assertThat(letter.reason()).isEqualTo("not_retryable");
      assertThat(letter.source()).isEqualTo(fleet.topics().tasks(ComputeLevel.MEDIUM) + "/0/0");
      assertThat(letter.omitted()).contains("request and envelope left out").contains("bytes");
      assertThat(letter.message()).contains("unreachable");
    }
  }

  @Test
  void aDeadLetterTopicSizedByTheContractKeepsTheWholeLetter(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      setMaxMessageBytes(fleet, fleet.topics().deadLetters(), TopicSpec.MAX_DEAD_LETTER_BYTES);
      fleet.startWorker(c -> c.withLevels(Set.of(ComputeLevel.MEDIUM)));
      TaskRequest hostile = fleet.submit(hostileRequest());
      TaskRequest next = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));

      assertThat(awaitFinal(fleet, next.id()).success()).isTrue();
      await().atMost(BOUND).until(() -> deadLettersOf(fleet, hostile.id()), l -> l.size() == 1);
      await().atMost(BOUND).until(() -> fleet.committedOffset(ComputeLevel.MEDIUM, 0) == 2);

      DeadLetter letter = deadLettersOf(fleet, hostile.id()).get(0);
      assertThat(letter.replayable()).isTrue();
      assertThat(letter.omitted()).isNull();
      assertThat(letter.request().id()).isEqualTo(hostile.id());
      assertThat(CapsuleJson.write(letter).getBytes(StandardCharsets.UTF_8).length)
          .isGreaterThan(1024 * 1024);
    }
  }

  /**
   * ~1,000,000 bytes of request (a module padded by a large data segment) whose module writes 64
   * KiB to stderr and traps, without retries: request and envelope together pass 1 MiB.
   */
  private static TaskRequest hostileRequest() {
    String padding = "a".repeat(PADDING);
    byte[] wasm =
        WatAssembler.assemble(
            "(module (import \"wasi_snapshot_preview1\" \"fd_write\""
                + " (func $w (param i32 i32 i32 i32) (result i32)))"
                + " (memory (export \"memory\") 16)"
                + " (data (i32.const 16) \""
                + padding
                + "\")"
                + " (func (export \"_start\")"
                + " (i32.store (i32.const 0) (i32.const 16))"
                + " (i32.store (i32.const 4) (i32.const 65536))"
                + " (drop (call $w (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))"
                + " unreachable))");
    TaskRequest hostile = request(wasm, TaskOptions.builder().maxRetries(0).build());
    assertThat(CapsuleJson.write(hostile).length()).isBetween(1_000_000, 1_040_000);
    return hostile;
  }

  @Test
  void anEnvelopeIsHeldToWhatTheResultsTopicAccepts(@BootstrapServers String servers) {
    // writes 400,000 bytes of 'a' to stdout: fits the producer, not a results topic of 300,000
    byte[] chatty =
        WatAssembler.assemble(
            "(module (import \"wasi_snapshot_preview1\" \"fd_write\""
                + " (func $w (param i32 i32 i32 i32) (result i32)))"
                + " (memory (export \"memory\") 8)"
                + " (func (export \"_start\")"
                + " (memory.fill (i32.const 16) (i32.const 97) (i32.const 400000))"
                + " (i32.store (i32.const 0) (i32.const 16))"
                + " (i32.store (i32.const 4) (i32.const 400000))"
                + " (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))");
    try (TestFleet fleet = new TestFleet(servers)) {
      setMaxMessageBytes(fleet, fleet.topics().results(), 300_000);
      fleet.startWorker(c -> c.withLevels(Set.of(ComputeLevel.MEDIUM)));
      TaskRequest task = fleet.submit(request(chatty, TaskOptions.NONE));
      TaskRequest next = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));

      ResultEnvelope envelope = awaitFinal(fleet, task.id());
      assertThat(envelope.success()).isFalse();
      assertThat(envelope.error().message())
          .startsWith("result: the envelope would be")
          .contains("over the " + (300_000 - 64 * 1024) + " bytes");
      assertThat(awaitFinal(fleet, next.id()).success()).isTrue();
      await().atMost(BOUND).until(() -> fleet.committedOffset(ComputeLevel.MEDIUM, 0) == 2);
    }
  }

  private static void setMaxMessageBytes(TestFleet fleet, String topic, int bytes) {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    AlterConfigOp size =
        new AlterConfigOp(
            new ConfigEntry("max.message.bytes", Integer.toString(bytes)),
            AlterConfigOp.OpType.SET);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", fleet.bootstrap()))) {
      admin.incrementalAlterConfigs(Map.of(resource, List.of(size))).all().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
