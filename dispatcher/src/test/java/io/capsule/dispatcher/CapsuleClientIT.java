package io.capsule.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(KafkaBrokerExtension.class)
class CapsuleClientIT {
  private static final byte[] MODULE =
      "\0asm\1\0\0\0 pretend module".getBytes(StandardCharsets.UTF_8);
  private static final Duration BOUND = Duration.ofSeconds(30);

  @Test
  void uploadsModuleOnceForTwoSubmitsOfTheSameModule(@BootstrapServers String servers)
      throws Exception {
    FleetConnection fleet = TestFleet.fresh(servers);
    try (var client = CapsuleClient.builder().connection(fleet).inlineThreshold(0).build()) {
      client.submit(MODULE, List.of(), TaskOptions.NONE).accepted().get(30, TimeUnit.SECONDS);
      client.submit(MODULE, List.of(), TaskOptions.NONE).accepted().get(30, TimeUnit.SECONDS);
    }
    var modules = TestFleet.records(fleet, fleet.topics().modules());
    assertThat(modules).hasSize(1);
    assertThat(modules.get(0).value()).isEqualTo(MODULE);
    var requests = TestFleet.records(fleet, fleet.topics().tasks(ComputeLevel.MEDIUM));
    assertThat(requests).hasSize(2);
    for (var record : requests) {
      TaskRequest request = CapsuleJson.read(TestFleet.text(record), TaskRequest.class);
      assertThat(request.module().inline()).isNull();
      assertThat(request.module().sha256()).isEqualTo(modules.get(0).key());
    }
  }

  @Test
  void smallModulesTravelInlineAndNothingIsUploaded(@BootstrapServers String servers)
      throws Exception {
    FleetConnection fleet = TestFleet.fresh(servers);
    try (var client = CapsuleClient.builder().connection(fleet).build()) {
      client.submit(MODULE, List.of(), TaskOptions.NONE).accepted().get(30, TimeUnit.SECONDS);
    }
    assertThat(TestFleet.records(fleet, fleet.topics().modules())).isEmpty();
    var record = TestFleet.records(fleet, fleet.topics().tasks(ComputeLevel.MEDIUM)).get(0);
    TaskRequest request = CapsuleJson.read(TestFleet.text(record), TaskRequest.class);
    assertThat(request.module().inline()).isEqualTo(MODULE);
    assertThat(request.replyTo()).isEqualTo(fleet.topics().results());
  }

  @ParameterizedTest
  @CsvSource({
    "LOW, low",
    "medium, medium",
    "HIGH, high",
    "5000000, low",
    "100000000, low",
    "100000001, medium",
    "2000000000, medium",
    "10000000000, high",
    "900000000000, high"
  })
  void routesByComputeLevelAndCustomFuelToSmallestLevelThatHoldsIt(
      String compute, String topicSuffix, @BootstrapServers String servers) throws Exception {
    FleetConnection fleet = TestFleet.fresh(servers);
    TaskOptions options = TaskOptions.builder().compute(Compute.parse(compute)).build();
    try (var client = CapsuleClient.builder().connection(fleet).build()) {
      TaskHandle handle = client.submit(MODULE, List.of(), options);
      handle.accepted().get(30, TimeUnit.SECONDS);
      assertThat(handle.level().topicSuffix()).isEqualTo(topicSuffix);
    }
    for (ComputeLevel level : List.of(ComputeLevel.LOW, ComputeLevel.MEDIUM, ComputeLevel.HIGH)) {
      int expected = level.topicSuffix().equals(topicSuffix) ? 1 : 0;
      assertThat(TestFleet.records(fleet, fleet.topics().tasks(level)))
          .as(level.toString())
          .hasSize(expected);
    }
  }

  @Test
  void requestCarriesSchemaTaskIdAndTraceparentHeadersAndAQueuedEventPrecedesIt(
      @BootstrapServers String servers) throws Exception {
    FleetConnection fleet = TestFleet.fresh(servers);
    String id;
    try (var client = CapsuleClient.builder().connection(fleet).queuedEvents(true).build()) {
      TaskHandle handle = client.submit(MODULE, List.of(), TaskOptions.NONE);
      handle.accepted().get(30, TimeUnit.SECONDS);
      id = handle.id();
      assertThat(client.status(id))
          .get()
          .extracting(LifecycleEvent::state)
          .isEqualTo(TaskState.QUEUED);
    }
    var record = TestFleet.records(fleet, fleet.topics().tasks(ComputeLevel.MEDIUM)).get(0);
    assertThat(record.key()).isEqualTo(id);
    assertThat(header(record.headers().lastHeader("capsule-schema"))).isEqualTo("capsule.task/v1");
    assertThat(header(record.headers().lastHeader("capsule-task-id"))).isEqualTo(id);
    assertThat(header(record.headers().lastHeader("traceparent")))
        .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
  }

  @Test
  void aClientThatDoesNotAskForQueuedEventsSendsTheRequestAlone(@BootstrapServers String servers)
      throws Exception {
    FleetConnection fleet = TestFleet.fresh(servers);
    String id;
    try (var client = CapsuleClient.builder().connection(fleet).build()) {
      TaskHandle handle = client.submit(MODULE, List.of(), TaskOptions.NONE);
      handle.accepted().get(30, TimeUnit.SECONDS);
      id = handle.id();
      assertThat(client.status(id)).isEmpty();
    }
    assertThat(TestFleet.records(fleet, fleet.topics().events())).isEmpty();
    var requests = TestFleet.records(fleet, fleet.topics().tasks(ComputeLevel.MEDIUM));
    assertThat(requests).extracting(r -> r.key()).containsExactly(id);
  }

  @Test
  void resultCompletesFromTheReplyTopic(@BootstrapServers String servers) throws Exception {
    FleetConnection fleet = TestFleet.fresh(servers);
    try (var client = CapsuleClient.builder().connection(fleet).build()) {
      TaskHandle handle = client.submit(MODULE, List.of(), TaskOptions.NONE);
      handle.accepted().get(30, TimeUnit.SECONDS);
      TestFleet.produce(
          fleet,
          fleet.topics().results(),
          handle.id(),
          TestFleet.success(handle.id(), "{\"n\":1}"));
      ResultEnvelope envelope = handle.result().get(30, TimeUnit.SECONDS);
      assertThat(envelope.result().get("n").asInt()).isEqualTo(1);
    }
  }

  @Test
  void statusAndAwaitWorkAfterTheClientRestarts(@BootstrapServers String servers) throws Exception {
    FleetConnection fleet = TestFleet.fresh(servers);
    String id;
    try (var client = CapsuleClient.builder().connection(fleet).build()) {
      TaskHandle handle = client.submit(MODULE, List.of(), TaskOptions.NONE);
      handle.accepted().get(30, TimeUnit.SECONDS);
      id = handle.id();
    }
    ResultEnvelope envelope = TestFleet.success(id, "\"done\"");
    TestFleet.produce(fleet, fleet.topics().results(), id, envelope);
    TestFleet.produce(
        fleet,
        fleet.topics().events(),
        id,
        LifecycleEvent.finalOf(id, TaskState.SUCCEEDED, "medium", "fake-worker", envelope));
    try (var restarted = CapsuleClient.builder().connection(fleet).build()) {
      LifecycleEvent status = restarted.status(id).orElseThrow();
      assertThat(status.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(status.envelope().result().asText()).isEqualTo("done");
      assertThat(restarted.await(id, BOUND).result().asText()).isEqualTo("done");
    }
  }

  @Test
  void statusOfAnUnknownTaskIsEmptyAndAwaitTimesOut(@BootstrapServers String servers) {
    FleetConnection fleet = TestFleet.fresh(servers);
    try (var client = CapsuleClient.builder().connection(fleet).build()) {
      assertThat(client.status("no-such-task")).isEmpty();
      assertThatThrownBy(() -> client.await("no-such-task", Duration.ofMillis(300)))
          .isInstanceOf(AwaitTimeoutException.class);
    }
  }

  @Test
  void cancelPublishesACancelledEventAndCancelsTheResult(@BootstrapServers String servers)
      throws Exception {
    FleetConnection fleet = TestFleet.fresh(servers);
    try (var client = CapsuleClient.builder().connection(fleet).build()) {
      TaskHandle handle = client.submit(MODULE, List.of(), TaskOptions.NONE);
      handle.accepted().get(30, TimeUnit.SECONDS);
      assertThat(client.cancel(handle.id())).isTrue();
      assertThatThrownBy(() -> handle.result().get(5, TimeUnit.SECONDS))
          .isInstanceOf(CancellationException.class);
      await()
          .atMost(BOUND)
          .until(() -> client.status(handle.id()).orElseThrow().state() == TaskState.CANCELLED);
      assertThat(client.cancel(handle.id())).isFalse();
    }
  }

  @Test
  void failsClearlyWhenTheTopicsDoNotExist(@BootstrapServers String servers) {
    FleetConnection missing = FleetConnection.of(servers).withTopicPrefix("never-created");
    assertThatThrownBy(() -> CapsuleClient.builder().connection(missing).build())
        .isInstanceOf(DispatcherException.class)
        .hasMessageContaining("never-created.results does not exist");
  }

  private static String header(Header header) {
    return new String(header.value(), StandardCharsets.UTF_8);
  }
}
