package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.FileGrant;
import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.OperatorCeiling.OverCeiling;
import io.capsule.protocol.PermissionDeniedException;
import io.capsule.protocol.TaskOptions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class InterimCeilingTest {
  private static final TaskOptions GREEDY =
      TaskOptions.builder()
          .timeout(Duration.ofDays(100))
          .compute(Compute.of(ComputeLevel.HIGH))
          .ram(ByteSize.parse("2GB"))
          .maxRetries(50)
          .envVariables(List.of("GREETING", "DB_PASSWORD"))
          .allowedFiles(List.of(FileGrant.parse("/etc")))
          .build();

  private static OperatorCeiling ceiling(OverCeiling over, List<FileGrant> files) {
    return new OperatorCeiling(
        Compute.of(ComputeLevel.LOW),
        ByteSize.parse("64MB"),
        Duration.ofMinutes(1),
        2,
        files,
        List.of("*"),
        List.of("GREETING"),
        over);
  }

  @Test
  void rejectNamesTheFirstOptionAboveTheCeiling() {
    OperatorCeiling reject = ceiling(OverCeiling.REJECT, List.of());
    assertThatThrownBy(() -> InterimCeiling.apply(GREEDY, reject))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("timeout 2400h")
        .hasMessageContaining("maximum of 1m");
    TaskOptions inTime = GREEDY.toBuilder().timeout(Duration.ofSeconds(5)).build();
    assertThatThrownBy(() -> InterimCeiling.apply(inTime, reject))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("compute");
  }

  @Test
  void rejectRefusesVariablesOutsideTheAllowlistAndFilesWithoutARoot() {
    OperatorCeiling reject = ceiling(OverCeiling.REJECT, List.of());
    TaskOptions variables = TaskOptions.builder().envVariables(List.of("DB_PASSWORD")).build();
    assertThatThrownBy(() -> InterimCeiling.apply(variables, reject))
        .isInstanceOf(PermissionDeniedException.class)
        .hasMessageContaining("env_variables: DB_PASSWORD");
    TaskOptions files =
        TaskOptions.builder().allowedFiles(List.of(FileGrant.parse("/etc"))).build();
    assertThatThrownBy(() -> InterimCeiling.apply(files, reject))
        .isInstanceOf(PermissionDeniedException.class)
        .hasMessageContaining("allowed_files '/etc'")
        .hasMessageContaining("no files root");
  }

  @Test
  void clampLowersLimitsAndDropsWhatTheCeilingDoesNotCover() {
    TaskOptions clamped = InterimCeiling.apply(GREEDY, ceiling(OverCeiling.CLAMP, List.of()));

    assertThat(clamped.timeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(clamped.compute()).isEqualTo(Compute.of(ComputeLevel.LOW));
    assertThat(clamped.ram()).isEqualTo(ByteSize.parse("64MB"));
    assertThat(clamped.maxRetries()).isEqualTo(2);
    assertThat(clamped.envVariables()).containsExactly("GREETING");
    assertThat(clamped.allowedFiles()).isEmpty();
  }

  @Test
  void readOnlyRootRefusesOrNarrowsAReadWriteGrant() {
    List<FileGrant> roRoot = List.of(FileGrant.parse("/srv/data:ro"));
    TaskOptions rw = TaskOptions.builder().allowedFiles(List.of(FileGrant.parse("in"))).build();
    assertThatThrownBy(() -> InterimCeiling.apply(rw, ceiling(OverCeiling.REJECT, roRoot)))
        .hasMessageContaining("read-only");
    assertThat(InterimCeiling.apply(rw, ceiling(OverCeiling.CLAMP, roRoot)).allowedFiles())
        .containsExactly(new FileGrant("in", "in", true));
  }

  @Test
  void optionsWithinTheCeilingAreKeptAsDeclared() {
    TaskOptions modest =
        TaskOptions.builder()
            .timeout(Duration.ofSeconds(30))
            .compute(Compute.of(ComputeLevel.LOW))
            .envVariables(List.of("GREETING"))
            .build();
    assertThat(InterimCeiling.apply(modest, ceiling(OverCeiling.REJECT, List.of())))
        .isEqualTo(modest);
  }
}
