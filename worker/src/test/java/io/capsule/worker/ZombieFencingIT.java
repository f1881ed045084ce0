package io.capsule.worker;

import static io.capsule.worker.TestFleet.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.sandbox.testing.Corpus;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A zombie worker: a worker process frozen with SIGSTOP while it runs a task, past its session
 * timeout (the worker's default, 6 s), so the group gives its partition to another worker, which
 * runs the task to its end; then resumed with SIGCONT. Awake, the zombie must publish nothing for
 * that task (no second envelope, no running event after the final one): its outputs are fenced.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ZombieFencingIT {
  private static final Duration BOUND = Duration.ofSeconds(60);
  private static final Pattern FENCED =
      Pattern.compile("capsule_outputs_fenced_total\\{level=\"medium\"} ([0-9.]+)");
  private final WorkerJvm workers = new WorkerJvm();

  @AfterEach
  void killLeftovers() {
    workers.close();
  }

  /**
   * The zombie first runs a trivial task to its end, as a worker that has been up a while would
   * have: its first outputs pay for loading and compiling the producer's send path (hundreds of ms
   * on a loaded machine), and a freeze during that time, after a fence check and before the record
   * reached the producer, is the documented window no lease closes (the test failed that way in
   * full CI runs, when its task also came to a zombie that had just started). Then the task to
   * fence: the freeze falls before its running event is due (5 s into the attempt), so on waking
   * the zombie has a running event due on its timer and an outcome to publish, and its poll thread
   * has not yet learnt that the partition is gone.
   */
  @Test
  void frozenWorkerPublishesNothingForATaskItsSuccessorFinished(@BootstrapServers String servers)
      throws Exception {
    try (TestFleet fleet = new TestFleet(servers)) {
      int port = WorkerJvm.freePort();
      Process zombie =
          workers.launch(
              fleet,
              "zombie",
              // its log (target/worker-zombie.log) shows the group's view should this fail
              List.of("-Xmx256m", "-Dcapsule.kafka.log.level=INFO"),
              List.of("--metrics-port", Integer.toString(port), "--running-event-after", "5s"));
      TaskRequest warmUp = fleet.submit(request(Corpus.wat("hello"), TaskOptions.NONE));
      assertThat(WorkerIT.awaitFinal(fleet, warmUp.id()).worker()).isEqualTo("zombie");

      TaskRequest task = fleet.submit(request(Corpus.wat("sleep_3s"), TaskOptions.NONE));
      await()
          .atMost(BOUND)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> WorkerJvm.metrics(port).contains("capsule_tasks_in_flight 1.0"));
      WorkerJvm.signal(zombie, "STOP");

      fleet.startWorker(c -> c.withLevels(Set.of(ComputeLevel.MEDIUM)).withWorkerId("survivor"));
      // the survivor can only have run it once the broker ended the zombie's session
      ResultEnvelope envelope = WorkerIT.awaitFinal(fleet, task.id());
      assertThat(envelope.worker()).isEqualTo("survivor");
      assertThat(envelope.success()).isTrue();

      WorkerJvm.signal(zombie, "CONT");
      // awake, it settles the task it held: its poll thread learns the partition is gone (the task
      // is abandoned) or its publisher meets the fence (the outputs are dropped)
      await()
          .atMost(BOUND)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> WorkerJvm.metrics(port).contains("capsule_tasks_in_flight 0.0"));
      System.err.printf("zombie fenced %.0f outputs%n", fenced(port));

      List<LifecycleEvent> events = fleet.events(task.id());
      assertThat(fleet.results(task.id())).as("events: %s", events).hasSize(1);
      assertThat(events)
          .as("nothing from the zombie, whose running event was due during the freeze")
          .allMatch(e -> "survivor".equals(e.worker()));
      LifecycleEvent last = events.get(events.size() - 1);
      assertThat(last.state()).as("events: %s", events).isEqualTo(TaskState.SUCCEEDED);
    }
  }

  private double fenced(int port) throws IOException, InterruptedException {
    Matcher m = FENCED.matcher(WorkerJvm.metrics(port));
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
