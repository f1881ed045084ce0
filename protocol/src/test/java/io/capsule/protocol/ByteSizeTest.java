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
}
