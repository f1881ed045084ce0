package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskOptionsTest {
  private static final String TOML =
      "[workflow]\n"
          + "name = \"demo\"\n"
          + "version = \"1.0.0\"\n"
          + "entrypoint = \"src/main.py\"\n"
          + "[tasks]\n"
          + "default_compute = \"low\"\n"
          + "default_ram = \"32MB\"\n"
          + "default_timeout = \"10s\"\n"
          + "default_max_retries = 2\n"
          + "default_allowed_files = [\"data:ro\", { path = \"out\", mode = \"rw\" }]\n"
          + "default_allowed_hosts = [\"api.example.com\"]\n"
          + "default_env_variables = [\"API_KEY\"]\n";

  @Test
  void capsuleTomlGivesDefaultsForEveryOption() {
    ProjectConfig config = ProjectConfig.parse(TOML);
    assertThat(config.name()).isEqualTo("demo");
    assertThat(config.entrypoint()).isEqualTo("src/main.py");
    TaskOptions d = config.defaults();
    assertThat(d.compute()).isEqualTo(Compute.of(ComputeLevel.LOW));
    assertThat(d.ram()).isEqualTo(ByteSize.parse("32MB"));
    assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.maxRetries()).isEqualTo(2);
    assertThat(d.allowedFiles())
        .containsExactly(new FileGrant("data", null, true), new FileGrant("out", null, false));
    assertThat(d.allowedHosts()).containsExactly("api.example.com");
    assertThat(d.envVariables()).containsExactly("API_KEY");
  }

  @Test
  void flagOverTaskOptionOverTomlDefaultOverBuiltIn() {
    TaskOptions toml = ProjectConfig.parse(TOML).defaults();
    TaskOptions task =
        TaskOptions.builder().compute(Compute.parse("HIGH")).timeout(Duration.ofSeconds(5)).build();
    TaskOptions flag = TaskOptions.builder().compute(Compute.parse("MEDIUM")).build();

    TaskOptions merged = flag.over(task).over(toml);

    assertThat(merged.compute()).isEqualTo(Compute.parse("MEDIUM"));
    assertThat(merged.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(merged.ram()).isEqualTo(ByteSize.parse("32MB"));
    assertThat(TaskOptions.NONE.computeOrDefault()).isEqualTo(Compute.parse("MEDIUM"));
    assertThat(TaskOptions.NONE.maxRetriesOrDefault()).isZero();
    assertThat(TaskOptions.NONE.nameOrDefault()).isEqualTo("main");
  }

  @Test
  void badTomlValuesAreInvalidRequests() {
    assertThatThrownBy(() -> ProjectConfig.parse("[tasks]\ndefault_ram = \"huge\"\n"))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("huge");
    assertThatThrownBy(() -> ProjectConfig.parse("[tasks]\nram = \"1MB\"\n"))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("unknown key");
    assertThatThrownBy(() -> TaskOptions.builder().maxRetries(-1).build())
        .isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void fileGrantsParseCapsuleRunForms() {
    assertThat(FileGrant.parse("data")).isEqualTo(new FileGrant("data", "data", false));
    assertThat(FileGrant.parse("./data:ro")).isEqualTo(new FileGrant("./data", null, true));
    assertThat(FileGrant.parseMount("/srv/in::/input:ro"))
        .isEqualTo(new FileGrant("/srv/in", "/input", true));
    assertThatThrownBy(() -> FileGrant.parseMount("::/x"))
        .isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void optionsRoundTripThroughJson() {
    TaskOptions options = ProjectConfig.parse(TOML).defaults().toBuilder().name("main").build();
    String json = CapsuleJson.write(options);
    assertThat(json).contains("\"timeout\":\"10s\"").contains("\"ram\":\"32MB\"");
    assertThat(CapsuleJson.read(json, TaskOptions.class)).isEqualTo(options);
  }

  @Test
  void envelopeKeepsCapsuleRunFieldNames() {
    var envelope =
        ResultEnvelope.failure(
            ErrorType.FUEL_EXHAUSTED,
            "out",
            new Execution(
                "main", 12, 1, 100, 65536, List.of(new HostRequest("GET", "https://x", 200))));
    var tree = CapsuleJson.mapper().valueToTree(envelope);
    assertThat(tree.get("success").asBoolean()).isFalse();
    assertThat(tree.get("result").isNull()).isTrue();
    assertThat(tree.at("/error/error_type").asText()).isEqualTo("fuel_exhausted");
    assertThat(tree.at("/execution/task_name").asText()).isEqualTo("main");
    assertThat(tree.at("/execution/duration_ms").asLong()).isEqualTo(12);
    assertThat(tree.at("/execution/fuel_consumed").asLong()).isEqualTo(100);
    assertThat(tree.at("/execution/ram_used").asLong()).isEqualTo(65536);
    assertThat(tree.at("/execution/host_requests/0/status").asInt()).isEqualTo(200);
    assertThat(CapsuleJson.read(CapsuleJson.write(envelope), ResultEnvelope.class))
        .isEqualTo(envelope);
  }
}
