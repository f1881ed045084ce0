package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.OperatorCeiling.OverCeiling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OperatorCeilingTest {
  @TempDir Path root;

  private static OperatorCeiling ceiling(OverCeiling mode) {
    return new OperatorCeiling(
        Compute.of(ComputeLevel.LOW),
        ByteSize.parse("64MB"),
        Duration.ofSeconds(30),
        2,
        List.of(FileGrant.parse("data:ro"), FileGrant.parse("out:rw")),
        List.of("api.x.com", "*.cdn.example.com", "10.0.0.5"),
        List.of("API_KEY"),
        mode);
  }

  private static OperatorCeiling only(TaskOptions axes, OverCeiling mode) {
    return new OperatorCeiling(
        axes.compute(),
        axes.ram(),
        axes.timeout(),
        axes.maxRetries(),
        axes.allowedFiles(),
        axes.allowedHosts(),
        axes.envVariables(),
        mode);
  }

  private static OperatorCeiling hosts(OverCeiling mode, String... patterns) {
    return only(TaskOptions.builder().allowedHosts(List.of(patterns)).build(), mode);
  }

  @Test
  void noneLeavesEveryDeclaredOptionAsItIs() {
    TaskOptions declared =
        TaskOptions.builder()
            .compute(Compute.of(ComputeLevel.HIGH))
            .timeout(Duration.ofDays(100))
            .allowedHosts(List.of("*"))
            .envVariables(List.of("AWS_SECRET_ACCESS_KEY"))
            .allowedFiles(List.of(FileGrant.parse("/etc")))
            .build();
    assertThat(OperatorCeiling.NONE.isUnlimited()).isTrue();
    assertThat(OperatorCeiling.NONE.narrow(declared, root)).isEqualTo(declared);
  }

  @Test
  void limitsAboveTheCeilingAreRejectedNamingTheOptionAndTheLimit() {
    OperatorCeiling c = ceiling(OverCeiling.REJECT);
    assertThatThrownBy(() -> c.narrow(TaskOptions.builder().compute(Compute.parse("HIGH")).build()))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("compute HIGH")
        .hasMessageContaining("max_compute LOW");
    assertThatThrownBy(() -> c.narrow(TaskOptions.builder().ram(ByteSize.parse("1GB")).build()))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("ram 1GB")
        .hasMessageContaining("max_ram 64MB");
    assertThatThrownBy(() -> c.narrow(TaskOptions.builder().timeout(Duration.ofDays(100)).build()))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("max_timeout 30s");
    assertThatThrownBy(() -> c.narrow(TaskOptions.builder().maxRetries(50).build()))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("max_retries 50")
        .hasMessageContaining("max_retries 2");
  }

  @Test
  void limitsAboveTheCeilingAreLoweredToItWhenClamping() {
    TaskOptions narrowed =
        ceiling(OverCeiling.CLAMP)
            .narrow(
                TaskOptions.builder()
                    .compute(Compute.parse("HIGH"))
                    .ram(ByteSize.parse("1GB"))
                    .timeout(Duration.ofDays(100))
                    .maxRetries(50)
                    .build(),
                root);
    assertThat(narrowed.compute()).isEqualTo(Compute.of(ComputeLevel.LOW));
    assertThat(narrowed.ram()).isEqualTo(ByteSize.parse("64MB"));
    assertThat(narrowed.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(narrowed.maxRetries()).isEqualTo(2);
  }

  @Test
  void limitsWithinTheCeilingStayAndUnnamedOnesTakeTheMaximum() {
    for (OverCeiling mode : OverCeiling.values()) {
      TaskOptions within =
          TaskOptions.builder()
              .compute(Compute.custom(5_000))
              .ram(ByteSize.parse("1MB"))
              .timeout(Duration.ofSeconds(1))
              .maxRetries(1)
              .build();
      assertThat(ceiling(mode).narrow(within, root)).isEqualTo(within);
      TaskOptions unnamed = ceiling(mode).narrow(TaskOptions.NONE, root);
      assertThat(unnamed.timeout()).isEqualTo(Duration.ofSeconds(30));
      assertThat(unnamed.compute()).isEqualTo(Compute.of(ComputeLevel.LOW));
      assertThat(unnamed.maxRetries()).isNull();
    }
  }

  @Test
  void environmentVariablesOutsideTheCeilingAreRefusedOrDropped() {
    TaskOptions declared =
        TaskOptions.builder()
            .envVariables(
                List.of("API_KEY", "AWS_SECRET_ACCESS_KEY", "CAPSULE_KAFKA_SASL_JAAS_CONFIG"))
            .build();
    assertThatThrownBy(() -> ceiling(OverCeiling.REJECT).narrow(declared, root))
        .isInstanceOf(PermissionDeniedException.class)
        .hasMessageContaining("env_variables 'AWS_SECRET_ACCESS_KEY'")
        .hasMessageContaining("[API_KEY]");
    assertThat(ceiling(OverCeiling.CLAMP).narrow(declared, root).envVariables())
        .containsExactly("API_KEY");
    OperatorCeiling nothing =
        only(TaskOptions.builder().envVariables(List.of()).build(), OverCeiling.CLAMP);
    assertThat(nothing.narrow(declared, root).envVariables()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
    "*, api.x.com, true",
    "*, *, true",
    "*, 10.0.0.5, true",
    "example.com, example.com, true",
    "example.com, api.example.com, true",
    "example.com, *.example.com, true",
    "example.com, *.a.example.com, true",
    "example.com, evilexample.com, false",
    "example.com, *, false",
    "example.com, com, false",
    "*.example.com, api.example.com, true",
    "*.example.com, *.example.com, true",
    "*.example.com, *.a.example.com, true",
    "*.example.com, example.com, false",
    "*.example.com, *, false",
    "api.x.com, *, false",
    "api.x.com, x.com, false",
    "api.x.com, *.x.com, false",
    "10.0.0.5, 10.0.0.5, true",
    "10.0.0.5, 10.0.0.6, false",
    "0.0.5, 0.0.5, true",
    "example.com, 127.0.0.1, false",
    "*.example.com, ::1, false",
  })
  void aCeilingPatternCoversWhatItAllows(String outer, String inner, boolean covered) {
    assertThat(HostCeiling.covers(outer, inner)).isEqualTo(covered);
  }

  @Test
  void aDeclaredStarNarrowsToTheCeilingsHostsWhenClampingAndIsDeniedOtherwise() {
    TaskOptions star = TaskOptions.builder().allowedHosts(List.of("*")).build();
    assertThat(hosts(OverCeiling.CLAMP, "api.x.com").narrow(star, root).allowedHosts())
        .containsExactly("api.x.com");
    assertThatThrownBy(() -> hosts(OverCeiling.REJECT, "api.x.com").narrow(star, root))
        .isInstanceOf(PermissionDeniedException.class)
        .hasMessageContaining("allowed_hosts '*'")
        .hasMessageContaining("[api.x.com]");
    assertThat(hosts(OverCeiling.CLAMP).narrow(star, root).allowedHosts()).isEmpty();
  }

  @Test
  void coveredHostsStayAndOthersAreReplacedByWhatTheyCover() {
    TaskOptions declared =
        TaskOptions.builder()
            .allowedHosts(
                List.of(
                    "https://API.x.com:8443/v1", "example.com", "evil.org", "a.cdn.example.com"))
            .build();
    TaskOptions narrowed =
        hosts(OverCeiling.CLAMP, "api.x.com", "*.cdn.example.com").narrow(declared, root);
    assertThat(narrowed.allowedHosts())
        .containsExactly("api.x.com", "*.cdn.example.com", "a.cdn.example.com");
    assertThatThrownBy(
            () ->
                hosts(OverCeiling.REJECT, "api.x.com", "*.cdn.example.com").narrow(declared, root))
        .isInstanceOf(PermissionDeniedException.class)
        .hasMessageContaining("allowed_hosts 'example.com'");
  }

  @Test
  void filesInsideACeilingDirectoryStayOthersAreRefusedOrNarrowed() throws IOException {
    Files.createDirectories(root.resolve("data/in"));
    Files.createDirectories(root.resolve("out"));
    Files.createDirectories(root.resolve("secrets"));
    OperatorCeiling reject = ceiling(OverCeiling.REJECT);
    OperatorCeiling clamp = ceiling(OverCeiling.CLAMP);
    TaskOptions inside = files("data/in:ro", "./out/../out:rw");
    assertThat(reject.narrow(inside, root).allowedFiles()).isEqualTo(inside.allowedFiles());
    for (String escape : List.of("secrets", "data/../secrets", "/etc")) {
      assertThatThrownBy(() -> reject.narrow(files(escape + ":ro"), root))
          .as(escape)
          .isInstanceOf(PermissionDeniedException.class)
          .hasMessageContaining("allowed_files '" + escape + ":ro'")
          .hasMessageContaining("[data:ro, out:rw]");
      assertThat(clamp.narrow(files(escape + ":ro"), root).allowedFiles()).as(escape).isEmpty();
    }
  }

  @Test
  void readWriteIsCoveredOnlyByAReadWriteDirectory() throws IOException {
    Files.createDirectories(root.resolve("data/in"));
    assertThatThrownBy(() -> ceiling(OverCeiling.REJECT).narrow(files("data/in"), root))
        .isInstanceOf(PermissionDeniedException.class)
        .hasMessageContaining("asks read-write");
    assertThat(ceiling(OverCeiling.CLAMP).narrow(files("data/in"), root).allowedFiles())
        .containsExactly(new FileGrant("data/in", null, true));
  }

  @Test
  void aDeclaredParentOfCeilingDirectoriesNarrowsToThemAtTheirGuestPaths() {
    List<FileGrant> narrowed = ceiling(OverCeiling.CLAMP).narrow(files("."), root).allowedFiles();
    assertThat(narrowed)
        .containsExactly(
            new FileGrant("data", "./data", true), new FileGrant("out", "./out", false));
  }

  @Test
  void aSymlinkInsideACeilingDirectoryDoesNotLeadOutOfIt() throws IOException {
    Files.createDirectories(root.resolve("data"));
    Files.createDirectories(root.resolve("secrets"));
    Files.createSymbolicLink(root.resolve("data/link"), root.resolve("secrets"));
    assertThatThrownBy(() -> ceiling(OverCeiling.REJECT).narrow(files("data/link:ro"), root))
        .isInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void narrowingTwiceEqualsNarrowingOnce() throws IOException {
    Files.createDirectories(root.resolve("data"));
    TaskOptions declared =
        TaskOptions.builder()
            .compute(Compute.parse("HIGH"))
            .allowedHosts(List.of("*", "evil.org"))
            .envVariables(List.of("API_KEY", "SECRET"))
            .allowedFiles(List.of(FileGrant.parse("."), FileGrant.parse("data")))
            .build();
    OperatorCeiling c = ceiling(OverCeiling.CLAMP);
    TaskOptions once = c.narrow(declared, root);
    assertThat(c.narrow(once, root)).isEqualTo(once);
    assertThat(c.withOverCeiling(OverCeiling.REJECT).narrow(once, root)).isEqualTo(once);
  }

  /** What a parent runs with in the fleet: narrow, but not nothing. */
  private static TaskOptions parentGrant() {
    return TaskOptions.builder()
        .compute(Compute.of(ComputeLevel.LOW))
        .ram(ByteSize.parse("32MB"))
        .timeout(Duration.ofSeconds(20))
        .maxRetries(1)
        .allowedFiles(List.of(FileGrant.parse("data/in:ro")))
        .allowedHosts(List.of("api.x.com"))
        .envVariables(List.of("GREETING"))
        .build();
  }

  @Test
  void aSubTaskGetsTheIntersectionOfWhatItDeclaresAndWhatItsParentWasGranted() throws IOException {
    Files.createDirectories(root.resolve("data/in"));
    TaskOptions greedy =
        TaskOptions.builder()
            .compute(Compute.of(ComputeLevel.HIGH))
            .ram(ByteSize.parse("2GB"))
            .timeout(Duration.ofDays(100))
            .maxRetries(50)
            .allowedFiles(List.of(FileGrant.parse("data:rw")))
            .allowedHosts(List.of("*", "evil.org"))
            .envVariables(List.of("GREETING", "DB_PASSWORD"))
            .build();

    TaskOptions got = OperatorCeiling.grantedBy(parentGrant()).narrow(greedy, root);

    assertThat(got.compute()).isEqualTo(Compute.of(ComputeLevel.LOW));
    assertThat(got.ram()).isEqualTo(ByteSize.parse("32MB"));
    assertThat(got.timeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(got.maxRetries()).isEqualTo(1);
    assertThat(got.allowedFiles())
        .containsExactly(new FileGrant("data/in", "data/in", true)); // seen where data/ shows it
    assertThat(got.allowedHosts()).containsExactly("api.x.com");
    assertThat(got.envVariables()).containsExactly("GREETING");
  }

  @Test
  void aSubTaskAskingForLessThanItsParentKeepsWhatItAsked() {
    TaskOptions modest =
        TaskOptions.builder()
            .compute(Compute.parse("1000"))
            .ram(ByteSize.parse("8MB"))
            .timeout(Duration.ofSeconds(5))
            .allowedHosts(List.of("v2.api.x.com"))
            .allowedFiles(List.of(FileGrant.parse("data/in/today:ro")))
            .build();
    TaskOptions got = OperatorCeiling.grantedBy(parentGrant()).narrow(modest, root);
    assertThat(got).isEqualTo(modest.toBuilder().build());
    assertThat(OperatorCeiling.narrowing(modest, got)).isEmpty();
  }

  @Test
  void aParentWithoutAPermissionGivesItToNoSubTask() {
    TaskOptions bare = TaskOptions.builder().compute(Compute.of(ComputeLevel.MEDIUM)).build();
    TaskOptions greedy =
        TaskOptions.builder()
            .allowedHosts(List.of("*"))
            .envVariables(List.of("AWS_SECRET_ACCESS_KEY"))
            .allowedFiles(List.of(FileGrant.parse("/")))
            .build();
    TaskOptions got = OperatorCeiling.grantedBy(bare).narrow(greedy, root);
    assertThat(got.allowedHosts()).isEmpty();
    assertThat(got.envVariables()).isEmpty();
    assertThat(got.allowedFiles()).isEmpty();
    // naming no compute under a MEDIUM parent: MEDIUM, the default
    assertThat(got.computeOrDefault()).isEqualTo(Compute.of(ComputeLevel.MEDIUM));
  }

  @Test
  void theNarrowingNamesWhatWasDroppedButNeverAValue() {
    TaskOptions asked =
        TaskOptions.builder()
            .timeout(Duration.ofMinutes(5))
            .allowedHosts(List.of("*"))
            .envVariables(List.of("GREETING", "DB_PASSWORD"))
            .build();
    TaskOptions got = OperatorCeiling.grantedBy(parentGrant()).narrow(asked, root);
    assertThat(OperatorCeiling.narrowing(asked, got))
        .isEqualTo(
            " compute MEDIUM -> LOW timeout 5m -> 20s allowed_hosts [*] -> [api.x.com]"
                + " env_variables [GREETING, DB_PASSWORD] -> [GREETING]");
  }

  private static TaskOptions files(String... grants) {
    return TaskOptions.builder()
        .allowedFiles(List.of(grants).stream().map(FileGrant::parse).toList())
        .build();
  }
}
