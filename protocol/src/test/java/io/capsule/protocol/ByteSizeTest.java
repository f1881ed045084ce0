package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

  @ParameterizedTest
  @CsvSource({
    "64MB, 67108864",
    "2GB, 2147483648",
    "512KB, 524288",
    "512kb, 524288",
    "1.5MB, 1572864",
    "16 MiB, 16777216",
    "100B, 100",
    "4096, 4096",
    "1T, 1099511627776"
  })
  void parsesSizesInMultiplesOf1024(String text, long bytes) {
    assertThat(ByteSize.parse(text).bytes()).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "MB", "12XB", "-5MB", "0", "lots"})
  void rejectsWhatItCannotReadWithTheAcceptedForms(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text))
        .isInstanceOf(InvalidRequestException.class)
        .satisfies(
            e ->
                assertThat(((CapsuleException) e).errorType())
                    .isEqualTo(ErrorType.INVALID_REQUEST));
  }

  @ParameterizedTest
  @CsvSource({"64MB, 64MB", "1024KB, 1MB", "1536KB, 1536KB", "100B, 100B"})
  void printsTheShortestExactForm(String text, String printed) {
    assertThat(ByteSize.parse(text).toString()).isEqualTo(printed);
  }

  @ParameterizedTest
  @ValueSource(strings = {"999999999999999TB", "99999999999999GB", "9999999999999999999"})
  void refusesSizesPastTheLargestLongRatherThanWrappingAround(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("out of range");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {"\"16MB\" | 16777216", "1048576 | 1048576", "\"1.5kb\" | 1536"})
  void readsTheJsonFormAStringOrANumberOfBytes(String json, long bytes) {
    assertThat(CapsuleJson.read(json, ByteSize.class).bytes()).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.5", "true", "{\"bytes\": 5}", "[\"16MB\"]"})
  void refusesJsonThatIsNeitherAStringNorAnInteger(String json) {
    assertThatThrownBy(() -> CapsuleJson.read(json, ByteSize.class))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("a size must be a string like \"64MB\" or a number of bytes");
  }
}
