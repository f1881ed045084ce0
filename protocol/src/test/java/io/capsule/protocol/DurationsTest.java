package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({
    "500ms, 500",
    "30s, 30000",
    "5m, 300000",
    "1h, 3600000",
    "1m30s, 90000",
    "2, 2000",
    "1.5s, 1500",
    "30S, 30000",
    "030s, 30000",
    "9000000000ms, 9000000000",
    "9000000001ms, 9000000001",
    "2500000h, 9000000000000"
  })
  void parsesCapsuleRunDurations(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "soon", "5 minutes", "0s", "00ms", "-1s", "10x", "s", "5sm", "5 s5"})
  void rejectsOtherTextClearly(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("duration");
  }

  @ParameterizedTest
  @ValueSource(strings = {"2562048h", "18446744073709551617", "99999999999999999999999ms", "1e400"})
  void refusesDurationsPastTheLongestRatherThanSaturating(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("duration '" + text + "'");
  }

  @ParameterizedTest
  @CsvSource({"2562047h, 9223369200000"})
  void theLongestDurationStillReads(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @CsvSource({"500, 500ms", "30000, 30s", "300000, 5m", "7200000, 2h", "1500, 1500ms"})
  void formatsTheShortestExactForm(long millis, String text) {
    assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
  }
}
