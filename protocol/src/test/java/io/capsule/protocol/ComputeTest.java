package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ComputeTest {

  @ParameterizedTest
  @CsvSource({
    "LOW, 100000000",
    "low, 100000000",
    "Medium, 2000000000",
    "HIGH, 50000000000",
    "12345, 12345",
    "5_000_000, 5000000"
  })
  void levelsCarryCapsuleRunsFuelNumbers(String text, long fuel) {
    assertThat(Compute.parse(text).fuel()).isEqualTo(fuel);
  }

  @ParameterizedTest
  @ValueSource(strings = {"EXTREME", "", "0", "-5", "99999999999999999999999"})
  void rejectsUnknownLevelsAndNonPositiveNumbers(String text) {
    assertThatThrownBy(() -> Compute.parse(text)).isInstanceOf(InvalidRequestException.class);
  }

  @ParameterizedTest
  @CsvSource({
    "1, LOW",
    "100000000, LOW",
    "100000001, MEDIUM",
    "2000000000, MEDIUM",
    "2000000001, HIGH",
    "900000000000, HIGH"
  })
  void customFuelRoutesToTheSmallestLevelThatHoldsIt(long fuel, ComputeLevel level) {
    assertThat(Compute.custom(fuel).routingLevel()).isEqualTo(level);
  }

  @Test
  void jsonFormIsTheLevelNameOrTheNumber() {
    assertThat(CapsuleJson.write(Compute.parse("low"))).isEqualTo("\"LOW\"");
    assertThat(CapsuleJson.write(Compute.custom(42))).isEqualTo("42");
    assertThat(CapsuleJson.read("\"high\"", Compute.class))
        .isEqualTo(Compute.of(ComputeLevel.HIGH));
    assertThat(CapsuleJson.read("42", Compute.class)).isEqualTo(Compute.custom(42));
  }
}
