package io.capsule.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Brokers this class starts itself: startup, storage, restart and what reaches stdout. */
class EmbeddedKafkaLifecycleIT {

  @Test
  void closeShutsDownAndDeletesTempStorage() throws Exception {
    Path logDir;
    long started = System.nanoTime();
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().build().start()) {
      report("start-to-ready (this JVM)", started);
      logDir = kafka.logDir();
      assertThat(logDir.resolve("meta.properties")).exists();
      assertThat(kafka.bootstrapServers()).startsWith("127.0.0.1:");
      started = System.nanoTime();
    }
    report("shutdown", started);
    assertThat(logDir).doesNotExist();
  }

  @Test
  void restartOnTheSameLogDirKeepsClusterIdAndTopics(@TempDir Path dir) throws Exception {
    Path logDir = dir.resolve("kafka");
    String clusterId;
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withLogDir(logDir).build().start();
        Admin admin = TestClients.admin(kafka.bootstrapServers())) {
      TestClients.createTopic(admin, "capsule.results", 2);
      clusterId = kafka.clusterId();
    }
    assertThat(logDir.resolve("meta.properties")).exists();
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withLogDir(logDir).build().start();
        Admin admin = TestClients.admin(kafka.bootstrapServers())) {
      assertThat(kafka.clusterId()).isEqualTo(clusterId);
      assertThat(admin.listTopics().names().get()).contains("capsule.results");
    }
  }

  @Test
  void brokerListensOnTheRequestedPort() {
    int port = FreePorts.pick();
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withPort(port).build().start()) {
      assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
    }
  }

  @Test
  void autoTopicCreationCanBeTurnedOff() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withAutoCreateTopics(false).build().start();
        Admin admin = TestClients.admin(kafka.bootstrapServers());
        KafkaConsumer<String, String> consumer =
            TestClients.consumer(kafka.bootstrapServers(), "probe")) {
      assertThat(consumer.partitionsFor("never-created", Duration.ofSeconds(5))).isEmpty();
      assertThat(admin.listTopics().names().get()).doesNotContain("never-created");
    }
  }

  /**
   * A busy port the caller chose fails the start once, deletes the storage and leaves no Kafka
   * thread behind: a thread of a failed start still writing to the deleted log directory makes
   * Kafka's fault handler halt the whole JVM.
   */
  @Test
  void startOnABusyPortFailsAndLeavesNoStorageOrThreads() throws IOException {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      EmbeddedKafka kafka = EmbeddedKafka.builder().withPort(busy.getLocalPort()).build();
      EmbeddedKafkaException failure =
          catchThrowableOfType(EmbeddedKafkaException.class, kafka::start);
      assertThat(failure).isNotNull().hasRootCauseInstanceOf(BindException.class);
      assertThat(failure.getCause().getSuppressed()).as("earlier attempts").isEmpty();
      assertThat(kafka.state()).isEqualTo(EmbeddedKafka.State.CLOSED);
      assertThat(failure.logDir()).doesNotExist();
    }
    await()
        .pollInSameThread()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(threadsStartedSince(before)).isEmpty());
  }

  /** Live threads not in {@code before}, but for the metrics library's JVM-wide ticker. */
  private static List<String> threadsStartedSince(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !before.contains(t) && t.isAlive())
        .map(Thread::getName)
        .filter(name -> !name.startsWith("metrics-meter-tick-thread"))
        .toList();
  }

  @Test
  void kafkaLogsToStderrOnlyEvenAtInfoLevel(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("stdout");
    Path err = dir.resolve("stderr");
    Process probe = probeProcess(out, err);
    assertThat(probe.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(probe.exitValue()).isZero();
    List<String> stdout = Files.readAllLines(out, StandardCharsets.UTF_8);
    System.out.println("first start in a fresh JVM: " + stdout);
    assertThat(stdout).singleElement().asString().startsWith(BrokerProbe.MARKER);
    assertThat(Files.readString(err)).contains("INFO", "KafkaRaftServer");
  }

  @Test
  void shutdownHookClosesBrokerAndDeletesTempStorageWhenJvmExits(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("stdout");
    Process probe = probeProcess(out, dir.resolve("stderr"), "exit-without-close");
    assertThat(probe.waitFor(2, TimeUnit.MINUTES)).isTrue();
    String line = Files.readString(out, StandardCharsets.UTF_8).strip();
    assertThat(line).startsWith(BrokerProbe.MARKER + " ");
    Path logDir = Path.of(line.substring(BrokerProbe.MARKER.length() + 1));
    assertThat(logDir).doesNotExist();
  }

  private static Process probeProcess(Path out, Path err, String... args) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            java.toString(),
            "-Dcapsule.kafka.log.level=INFO",
            "-cp",
            System.getProperty("java.class.path"),
            BrokerProbe.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
  }

  private static void report(String what, long sinceNanos) {
    System.out.printf(
        "embedded Kafka %s: %d ms%n", what, (System.nanoTime() - sinceNanos) / 1_000_000);
  }
}
