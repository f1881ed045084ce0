package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A request refused for one of its fields names that field, as a path and as a JSON pointer. */
class FieldPathTest {
  private static final String MODULE = "\"module\":{\"sha256\":\"" + "a".repeat(64) + "\"}";

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "\"limits\":{\"ram\":\"lots\"}|limits.ram|/limits/ram|size 'lots' is not understood",
        "\"limits\":{\"ram\":[1]}|limits.ram|/limits/ram|a size must be a string",
        "\"limits\":{\"timeout\":\"forever\"}|limits.timeout|/limits/timeout|duration 'forever'",
        "\"limits\":{\"compute\":\"HUGE\"}|limits.compute|/limits/compute|not 'HUGE'",
        // integers past a long: refused, not wrapped around to a small budget (2^64 + 1 -> 1)
        "\"limits\":{\"ram\":18446744073709551617}|limits.ram|/limits/ram|out of range",
        "\"limits\":{\"compute\":18446744073709552616}|limits.compute|/limits/compute|too large",
        "\"limits\":{\"timeout\":18446744073709551617}|limits.timeout|/limits/timeout|out of range",
        "\"limits\":{\"max_retries\":-3}|limits.max_retries|/limits/max_retries|between 0 and 100",
        "\"permissions\":{\"allowed_files\":[{\"path\":\"/etc\",\"mode\":\"rwx\"}]}"
            + "|permissions.allowed_files[0]|/permissions/allowed_files/0|ro or rw, not 'rwx'",
        "\"schema\":\"capsule.task/v9\"|schema|/schema|unknown schema 'capsule.task/v9'",
        "\"limits\":5|limits|/limits|invalid JSON"
      })
  void aRefusedFieldIsNamedAsAPathAndAPointer(
      String part, String field, String pointer, String reason) {
    String json = "{\"id\":\"t\"," + MODULE + "," + part + "}";

    assertThatThrownBy(() -> CapsuleJson.read(json, TaskRequest.class))
        .isInstanceOfSatisfying(
            InvalidRequestException.class,
            e -> {
              assertThat(e.field()).isEqualTo(field);
              assertThat(e.pointer()).isEqualTo(pointer);
              assertThat(e.reason()).contains(reason);
              assertThat(e.getMessage()).isEqualTo(field + ": " + e.reason());
              assertThat(e.toTaskError().message()).startsWith(field + ": ");
            });
  }

  @ParameterizedTest
  @CsvSource({"module,module sha256 must be 64 hex digits"})
  void aFieldOfANestedRecordWithoutItsOwnNameGetsThePathOfItsHolder(String field, String message) {
    String json = "{\"id\":\"t\",\"module\":{\"sha256\":\"zz\"}}";

    assertThatThrownBy(() -> CapsuleJson.read(json, TaskRequest.class))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessage(field + ": " + message);
  }

  @ParameterizedTest
  @CsvSource({"a/b~c,/a~1b~0c"})
  void pointerEscapesSlashAndTilde(String field, String pointer) {
    assertThat(InvalidRequestException.forField(field, "bad").pointer()).isEqualTo(pointer);
  }
}
