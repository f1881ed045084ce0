package io.capsule.sandbox.internal.wasi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DenialLogTest {

  @Test
  void keepsTheFirstThousandDenialsAndCountsAll() {
    var log = new DenialLog();
    for (int i = 0; i < DenialLog.MAX_KEPT + 5; i++) {
      log.add(new Denial("path_open", "p" + i, Denial.Reason.READ_ONLY));
    }

    assertThat(log.kept())
        .hasSize(DenialLog.MAX_KEPT)
        .first()
        .extracting(Denial::path)
        .isEqualTo("p0");
    assertThat(log.count()).isEqualTo(DenialLog.MAX_KEPT + 5);
  }
}
