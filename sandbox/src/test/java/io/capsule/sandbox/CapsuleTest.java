package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.Compute;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding API, {@code Capsule.run(Path, args)}. */
class CapsuleTest {
  @TempDir Path tmp;

  @Test
  void runsAWatFileAndCompletesWithTheEnvelope() throws Exception {
    Path file = Files.writeString(tmp.resolve("hello.wat"), Corpus.watText("hello"));
    ResultEnvelope envelope = Capsule.run(file, List.of()).get(60, TimeUnit.SECONDS);
    assertThat(envelope.success()).isTrue();
    assertThat(envelope.result().get("hello").asText()).isEqualTo("world");
    assertThat(envelope.execution().fuelConsumed()).isPositive();
  }

  @Test
  void argumentsOfAnyJsonTypeReachTheGuestAndOptionsApply() throws Exception {
    Path file = tmp.resolve("probe.wasm");
    Files.write(file, Corpus.resource("wasi/fileprobe.wasm"));
    ResultEnvelope envelope =
        Capsule.run(file, List.of("env", "NOT_ALLOWED")).get(60, TimeUnit.SECONDS);
    assertThat(envelope.result().get("ok").asBoolean()).isFalse();

    Path spin = Files.writeString(tmp.resolve("spin.wat"), Corpus.watText("spin_br_if"));
    var low = TaskOptions.builder().compute(Compute.parse("LOW")).build();
    ResultEnvelope exhausted =
        Capsule.run(spin, low, List.of(Map.of("n", 1))).get(60, TimeUnit.SECONDS);
    assertThat(exhausted.error().errorType()).isEqualTo(ErrorType.FUEL_EXHAUSTED);
  }

  @Test
  void anUnreadableOrInvalidFileCompletesWithAFailedEnvelope() throws Exception {
    ResultEnvelope missing =
        Capsule.run(tmp.resolve("nope.wasm"), List.of()).get(10, TimeUnit.SECONDS);
    assertThat(missing.error().errorType()).isEqualTo(ErrorType.INVALID_REQUEST);

    Path garbage = Files.writeString(tmp.resolve("garbage.wasm"), "garbage");
    ResultEnvelope invalid = Capsule.run(garbage, List.of()).get(10, TimeUnit.SECONDS);
    assertThat(invalid.error().errorType()).isEqualTo(ErrorType.INVALID_MODULE);
  }
}
