package io.capsule.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.testing.Corpus;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The wire contract from a non-Java client: a request produced with kcat (librdkafka), its envelope
 * read back with kcat. Skipped where kcat is not installed.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KcatContractIT {
  @Test
  void requestProducedWithKcatGetsAnEnvelopeReadWithKcat(@BootstrapServers String servers)
      throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/kcat")), "kcat is not installed");
    try (TestFleet fleet = new TestFleet(servers)) {
      fleet.startWorker(c -> c.withLevels(Set.of(ComputeLevel.LOW)));
      String module = Base64.getEncoder().encodeToString(Corpus.wat("hello"));
      String request =
          "{\"schema\":\"capsule.task/v1\",\"id\":\"kcat-1\",\"task\":\"main\","
              + "\"module\":{\"inline\":\""
              + module
              + "\"},\"args\":[1,\"two\"],"
              + "\"limits\":{\"compute\":\"LOW\",\"ram\":\"16MB\",\"timeout\":\"20s\","
              + "\"max_retries\":1},"
              + "\"permissions\":{\"allowed_files\":[],\"allowed_hosts\":[],\"env_variables\":[]},"
              + "\"reply_to\":\""
              + fleet.topics().results()
              + "\"}";
      kcat(
          servers,
          "kcat-1|" + request + "\n",
          "-P",
          "-K",
          "|",
          "-t",
          fleet.topics().tasks(ComputeLevel.LOW));

      String line =
          await()
              .atMost(Duration.ofSeconds(60))
              .pollInterval(Duration.ofMillis(500))
              .until(
                  () ->
                      kcat(
                          servers,
                          "",
                          "-C",
                          "-e",
                          "-q",
                          "-o",
                          "beginning",
                          "-t",
                          fleet.topics().results()),
                  out -> out.contains("kcat-1"))
              .lines()
              .filter(l -> l.contains("kcat-1"))
              .findFirst()
              .orElseThrow();
      ResultEnvelope envelope = CapsuleJson.read(line, ResultEnvelope.class);
      assertThat(envelope.success()).isTrue();
      assertThat(envelope.taskId()).isEqualTo("kcat-1");
      assertThat(envelope.result().get("hello").asText()).isEqualTo("world");
    }
  }

  private static String kcat(String servers, String input, String... args)
      throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("kcat", "-b", servers));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
    try (OutputStream in = process.getOutputStream()) {
      in.write(input.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }
}
