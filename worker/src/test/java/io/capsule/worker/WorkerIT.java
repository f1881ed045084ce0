package io.capsule.worker;

import static io.capsule.worker.TestFleet.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ModuleRef;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.Sha256;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.sandbox.testing.Corpus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(KafkaBrokerExtension.class)
class WorkerIT {
  private static final Duration BOUND = Duration.ofSeconds(60);

  @ParameterizedTest
  @MethodSource("levelsAndModes")
  void taskOnEachLevelAndModeSucceedsWithEnvelopeAndEvents(
      ComputeLevel level, ConsumptionMode mode, @BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      fleet.startWorker(
          c ->
              c.withLevels(java.util.Set.of(level))
                  .withMode(mode)
                  .withWorkerId("w-" + level)
                  .withRunningEventAfter(Duration.ZERO));
      TaskRequest task =
          fleet.submit(
              request(
                  Corpus.wat("hello"), TaskOptions.builder().compute(Compute.of(level)).build()));

      ResultEnvelope envelope = awaitFinal(fleet, task.id());
      assertThat(envelope.success()).isTrue();
      assertThat(envelope.result().get("hello").asText()).isEqualTo("world");
      assertThat(envelope.worker()).isEqualTo("w-" + level);
      assertThat(envelope.attempt()).isEqualTo(1);
      assertThat(envelope.execution().retries()).isZero();
      await()
          .atMost(BOUND)
          .until(() -> states(fleet, task.id()), s -> s.contains(TaskState.SUCCEEDED));
      assertThat(states(fleet, task.id())).containsExactly(TaskState.RUNNING, TaskState.SUCCEEDED);
    }
  }

  static Stream<Arguments> levelsAndModes() {
    return Stream.of(ComputeLevel.LOW, ComputeLevel.MEDIUM, ComputeLevel.HIGH)
        .flatMap(l -> Stream.of(ConsumptionMode.values()).map(m -> Arguments.of(l, m)));
  }

  @Test
  void retryableFailureIsRetriedThenDeadLettered(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      fleet.startWorker(
          c ->
              c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM))
                  .withRunningEventAfter(Duration.ZERO));
      TaskRequest task =
          fleet.submit(request(Corpus.wat("exit_3"), TaskOptions.builder().maxRetries(2).build()));

      ResultEnvelope envelope = awaitFinal(fleet, task.id());
      assertThat(envelope.success()).isFalse();
      assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
      assertThat(envelope.attempt()).isEqualTo(3);
      assertThat(envelope.execution().retries()).isEqualTo(2);
      await().atMost(BOUND).until(() -> deadLettersOf(fleet, task.id()), l -> l.size() == 1);
      DeadLetter letter = deadLettersOf(fleet, task.id()).get(0);
      assertThat(letter.reason()).isEqualTo(DeadLetter.RETRIES_EXHAUSTED);
      assertThat(letter.request().attempt()).isEqualTo(3);
      assertThat(letter.envelope().execution().retries()).isEqualTo(2);
      assertThat(states(fleet, task.id()))
          .containsExactly(
              TaskState.RUNNING,
              TaskState.RETRYING,
              TaskState.RUNNING,
              TaskState.RETRYING,
              TaskState.RUNNING,
              TaskState.DEAD_LETTERED);
      assertThat(fleet.results(task.id())).hasSize(1);
    }
  }

  @Test
  void runningEventOnlyForAttemptsThatOutliveTheDelay(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      fleet.startWorker(
          c ->
              c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM))
                  .withRunningEventAfter(Duration.ofSeconds(1)));
      // the first task also prepares (compiles) the module; the second one is only its run
      awaitFinal(fleet, fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE)).id());
      TaskRequest quick = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));
      TaskRequest slow = fleet.submit(request(Corpus.wat("sleep_3s"), TaskOptions.NONE));

      assertThat(awaitFinal(fleet, quick.id()).success()).isTrue();
      await()
          .atMost(BOUND)
          .until(() -> states(fleet, quick.id()), s -> s.contains(TaskState.SUCCEEDED));
      assertThat(states(fleet, quick.id())).containsExactly(TaskState.SUCCEEDED);

      // while the sleeper still runs, its state can be seen as running
      await()
          .atMost(BOUND)
          .until(() -> states(fleet, slow.id()), s -> s.contains(TaskState.RUNNING));
      assertThat(fleet.results(slow.id())).isEmpty();
      assertThat(awaitFinal(fleet, slow.id()).success()).isTrue();
      await()
          .atMost(BOUND)
          .until(() -> states(fleet, slow.id()), s -> s.contains(TaskState.SUCCEEDED));
      assertThat(states(fleet, slow.id())).containsExactly(TaskState.RUNNING, TaskState.SUCCEEDED);
    }
  }

  @Test
  void nonRetryableFailureIsDeadLetteredAtOnce(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      fleet.startWorker(c -> c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM)));
      TaskRequest task =
          fleet.submit(
              request(Corpus.wat("unreachable"), TaskOptions.builder().maxRetries(3).build()));

      ResultEnvelope envelope = awaitFinal(fleet, task.id());
      assertThat(envelope.error().errorType()).isEqualTo(ErrorType.WASM_ERROR);
      assertThat(envelope.execution().retries()).isZero();
      await().atMost(BOUND).until(() -> deadLettersOf(fleet, task.id()), l -> l.size() == 1);
      assertThat(deadLettersOf(fleet, task.id()).get(0).reason()).isEqualTo("not_retryable");
    }
  }

  @Test
  void poisonRecordGoesToDeadLettersAndTheNextTaskRuns(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      fleet.startWorker(c -> c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM)));
      String topic = fleet.topics().tasks(ComputeLevel.MEDIUM);
      fleet.send(topic, "poison", "{not json at all".getBytes(StandardCharsets.UTF_8));
      fleet.send(
          topic,
          "bad-schema",
          "{\"schema\":\"capsule.task/v9\",\"id\":\"x\",\"module\":{\"inline\":\"AGFzbQEAAAA=\"}}"
              .getBytes(StandardCharsets.UTF_8));
      fleet.send(
          topic,
          "bad-ram",
          "{\"id\":\"bad-ram\",\"module\":{\"inline\":\"AGFzbQEAAAA=\"},\"limits\":{\"ram\":\"lots\"}}"
              .getBytes(StandardCharsets.UTF_8));
      TaskRequest good = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));

      assertThat(awaitFinal(fleet, good.id()).success()).isTrue();
      await().atMost(BOUND).until(fleet::deadLetters, l -> l.size() == 3);
      List<DeadLetter> letters = fleet.deadLetters();
      assertThat(letters).allMatch(l -> l.reason().equals(DeadLetter.UNREADABLE));
      assertThat(letters.get(0).taskId()).isEqualTo("poison");
      assertThat(new String(letters.get(0).raw(), StandardCharsets.UTF_8))
          .isEqualTo("{not json at all");
      assertThat(letters.get(0).source()).isEqualTo(topic + "/0/0");
      assertThat(letters.get(1).message()).contains("unknown schema");
      assertThat(letters)
          .filteredOn(l -> l.taskId().equals("bad-ram"))
          .singleElement()
          .satisfies(
              l -> assertThat(l.message()).startsWith("limits.ram: size 'lots' is not understood"));
    }
  }

  @Test
  void aPoisonRecordNearTheSizeLimitIsDeadLetteredCutAndItsOffsetCommitted(
      @BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      fleet.startWorker(c -> c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM)));
      String topic = fleet.topics().tasks(ComputeLevel.MEDIUM);
      byte[] poison = new byte[900 * 1024];
      java.util.Arrays.fill(poison, (byte) '[');
      fleet.send(topic, "huge-poison", poison);
      TaskRequest good = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));

      assertThat(awaitFinal(fleet, good.id()).success()).isTrue();
      await().atMost(BOUND).until(fleet::deadLetters, l -> l.size() == 1);
      DeadLetter letter = fleet.deadLetters().get(0);
      assertThat(letter.taskId()).isEqualTo("huge-poison");
      assertThat(letter.raw()).hasSize(512 * 1024);
      assertThat(letter.message()).contains("value cut to its first 524288 of 921600 bytes");
      await().atMost(BOUND).until(() -> fleet.committedOffset(ComputeLevel.MEDIUM, 0) == 2);
    }
  }

  @Test
  void aResultTooLargeForARecordEndsTheTaskWithATaskErrorInsteadOfNever(
      @BootstrapServers String servers) {
    // writes 1,100,000 bytes of 'a' to stdout: the result (the first MiB) cannot fit a record
    byte[] chatty =
        io.capsule.sandbox.WatAssembler.assemble(
            "(module (import \"wasi_snapshot_preview1\" \"fd_write\""
                + " (func $w (param i32 i32 i32 i32) (result i32)))"
                + " (memory (export \"memory\") 20)"
                + " (func (export \"_start\")"
                + " (memory.fill (i32.const 16) (i32.const 97) (i32.const 1100000))"
                + " (i32.store (i32.const 0) (i32.const 16))"
                + " (i32.store (i32.const 4) (i32.const 1100000))"
                + " (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))");
    try (TestFleet fleet = new TestFleet(servers)) {
      fleet.startWorker(c -> c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM)));
      TaskRequest task = fleet.submit(request(chatty, TaskOptions.builder().maxRetries(2).build()));

      ResultEnvelope envelope = awaitFinal(fleet, task.id());

      assertThat(envelope.success()).isFalse();
      assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
      assertThat(envelope.error().message()).startsWith("result: the envelope would be");
      await().atMost(BOUND).until(() -> deadLettersOf(fleet, task.id()), l -> l.size() == 1);
      TaskRequest next = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));
      assertThat(awaitFinal(fleet, next.id()).success()).isTrue();
      await().atMost(BOUND).until(() -> fleet.committedOffset(ComputeLevel.MEDIUM, 0) == 2);
    }
  }

  @Test
  void runningTasksNeverReserveMoreRamThanTheBudget(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      CapsuleWorker worker =
          fleet.startWorker(
              c ->
                  c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM))
                      .withConcurrency(8)
                      .withDefaultRam(ByteSize.parse("16MB"))
                      .withMemoryBudget(ByteSize.parse("64MB")));
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        TaskOptions options = TaskOptions.builder().ram(ByteSize.parse("32MB")).build();
        ids.add(fleet.submit(request(Corpus.wat("sleep_3s"), options)).id());
      }
      TaskRequest huge =
          fleet.submit(
              request(
                  Corpus.wat("hello"), TaskOptions.builder().ram(ByteSize.parse("1GB")).build()));

      await().atMost(BOUND).untilAsserted(() -> assertThat(worker.running()).isEqualTo(2));
      ids.forEach(id -> assertThat(awaitFinal(fleet, id).success()).isTrue());
      assertThat(worker.peakReservedRam()).isEqualTo(ByteSize.parse("64MB").bytes());
      ResultEnvelope rejected = awaitFinal(fleet, huge.id());
      assertThat(rejected.error().errorType()).isEqualTo(ErrorType.INVALID_REQUEST);
    }
  }

  @Test
  void shortTaskOvertakesALongOneOnTheSamePartitionAndSingleSlot(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers, 1)) {
      fleet.startWorker(
          c -> c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM)).withConcurrency(1));
      TaskRequest longTask = fleet.submit(request(Corpus.wat("sleep_3s"), TaskOptions.NONE));
      TaskRequest shortTask = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));

      assertThat(awaitFinal(fleet, shortTask.id()).success()).isTrue();
      assertThat(fleet.results(longTask.id())).isEmpty();
      ResultEnvelope longOne = awaitFinal(fleet, longTask.id());
      assertThat(longOne.success()).isTrue();
      assertThat(longOne.execution().durationMs()).isGreaterThanOrEqualTo(3_000);
    }
  }

  @Test
  void longTaskCausesNoRebalance(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      CapsuleWorker worker =
          fleet.startWorker(
              c ->
                  c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM))
                      .withConcurrency(1)
                      .withKafkaProperty("max.poll.interval.ms", "4000")
                      .withKafkaProperty("max.poll.records", "1"));
      TaskRequest longTask = fleet.submit(request(Corpus.wat("sleep_12s"), TaskOptions.NONE));
      TaskRequest queued = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));

      ResultEnvelope envelope = awaitFinal(fleet, longTask.id());
      assertThat(envelope.success()).isTrue();
      assertThat(envelope.execution().durationMs()).isGreaterThanOrEqualTo(12_000);
      assertThat(awaitFinal(fleet, queued.id()).success()).isTrue();
      assertThat(worker.assignments()).isEqualTo(1);
    }
  }

  @Test
  void moduleNamedByHashIsReadFromTheModulesTopic(@BootstrapServers String servers) {
    try (TestFleet fleet = new TestFleet(servers)) {
      byte[] hello = Corpus.wat("hello");
      String sha = Sha256.hex(hello);
      fleet.send(fleet.topics().modules(), sha, hello);
      fleet.startWorker(c -> c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM)));
      TaskRequest byHash =
          fleet.submit(TaskRequest.of(ModuleRef.byHash(sha), List.of(), TaskOptions.NONE));
      TaskRequest missing =
          fleet.submit(
              TaskRequest.of(ModuleRef.byHash("ab".repeat(32)), List.of(), TaskOptions.NONE));

      assertThat(awaitFinal(fleet, byHash.id()).success()).isTrue();
      ResultEnvelope failed = awaitFinal(fleet, missing.id());
      assertThat(failed.error().errorType()).isEqualTo(ErrorType.INVALID_MODULE);
      assertThat(failed.error().message()).contains("not on the modules topic");
    }
  }

  @Test
  void metricsAndHealthAreServedOverHttp(@BootstrapServers String servers) throws Exception {
    try (TestFleet fleet = new TestFleet(servers)) {
      CapsuleWorker worker =
          fleet.startWorker(
              c -> c.withLevels(java.util.Set.of(ComputeLevel.LOW)).withMetricsPort(0));
      TaskRequest task =
          fleet.submit(
              request(
                  Corpus.wat("hello"),
                  TaskOptions.builder().compute(Compute.of(ComputeLevel.LOW)).build()));
      awaitFinal(fleet, task.id());

      HttpClient http = HttpClient.newHttpClient();
      URI base = URI.create("http://localhost:" + worker.metricsPort());
      HttpResponse<String> health =
          http.send(
              HttpRequest.newBuilder(base.resolve("/health")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      await()
          .atMost(BOUND)
          .untilAsserted(
              () ->
                  assertThat(
                          http.send(
                                  HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                                  HttpResponse.BodyHandlers.ofString())
                              .body())
                      .contains("capsule_tasks_total{level=\"low\",outcome=\"succeeded\"} 1.0")
                      .contains("capsule_tasks_in_flight")
                      .contains("capsule_consumer_lag{level=\"low\"}"));
    }
  }

  @Test
  void partitionsMovingToANewWorkerLoseNothingAndDuplicateNothing(@BootstrapServers String servers)
      throws Exception {
    try (TestFleet fleet = new TestFleet(servers, 2)) {
      fleet.startWorker(
          c -> c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM)).withConcurrency(1));
      List<String> ids = new ArrayList<>();
      for (int partition = 0; partition < 2; partition++) {
        TaskRequest task = request(Corpus.wat("sleep_3s"), TaskOptions.NONE);
        ids.add(task.id());
        fleet
            .producer()
            .send(
                new org.apache.kafka.clients.producer.ProducerRecord<>(
                    fleet.topics().tasks(ComputeLevel.MEDIUM),
                    partition,
                    task.id(),
                    io.capsule.protocol.CapsuleJson.write(task).getBytes(StandardCharsets.UTF_8)))
            .get();
      }
      await()
          .atMost(BOUND)
          .until(() -> fleet.events(ids.get(0)).size() + fleet.events(ids.get(1)).size() > 0);
      fleet.startWorker(
          c -> c.withLevels(java.util.Set.of(ComputeLevel.MEDIUM)).withConcurrency(1));

      for (String id : ids) {
        assertThat(awaitFinal(fleet, id).success()).isTrue();
      }
      TaskRequest after = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));
      awaitFinal(fleet, after.id());
      for (String id : ids) {
        assertThat(fleet.results(id)).hasSize(1);
      }
    }
  }

  static ResultEnvelope awaitFinal(TestFleet fleet, String taskId) {
    return await()
        .atMost(BOUND)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> fleet.results(taskId), r -> !r.isEmpty())
        .get(0);
  }

  static List<TaskState> states(TestFleet fleet, String taskId) {
    return fleet.events(taskId).stream().map(LifecycleEvent::state).collect(Collectors.toList());
  }

  static List<DeadLetter> deadLettersOf(TestFleet fleet, String taskId) {
    return fleet.deadLetters().stream()
        .filter(l -> taskId.equals(l.taskId()))
        .collect(Collectors.toList());
  }
}
