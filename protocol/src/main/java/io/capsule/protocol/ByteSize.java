package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes, written like capsule-run's {@code ram}: {@code 64MB}, {@code 2GB}, {@code
 * 512KB}, {@code 1048576} (bytes). Units are multiples of 1024; {@code B}, {@code KB}/{@code
 * K}/{@code KiB}, {@code MB}, {@code GB}, {@code TB}, any case.
 *
 * @param bytes the size in bytes, positive
 */
public record ByteSize(long bytes) {
  private static final Pattern FORM =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(I?B?)", Pattern.CASE_INSENSITIVE);

  /** Checks that the size is positive. */
  public ByteSize {
    if (bytes <= 0) {
      throw new InvalidRequestException("a size must be positive, not " + bytes + " bytes");
    }
  }

  /**
   * Parses a size.
   *
   * @throws InvalidRequestException with the accepted forms when {@code text} is not one
   */
  public static ByteSize parse(String text) {
    Matcher m = FORM.matcher(text == null ? "" : text.strip());
    if (!m.matches()) {
      throw new InvalidRequestException(
          "size '"
              + text
              + "' is not understood; use a number with B, KB, MB, GB or TB, like 64MB");
    }
    double number = Double.parseDouble(m.group(1));
    long unit = unit(m.group(2).toUpperCase(Locale.ROOT));
    double bytes = number * unit;
    if (bytes > Long.MAX_VALUE || bytes < 1) {
      throw new InvalidRequestException("size '" + text + "' is out of range");
    }
    return new ByteSize((long) bytes);
  }

  private static long unit(String prefix) {
    switch (prefix) {
      case "K":
        return 1L << 10;
      case "M":
        return 1L << 20;
      case "G":
        return 1L << 30;
      case "T":
        return 1L << 40;
      default:
        return 1L;
    }
  }

  /** Reads the JSON form: a size string or a number of bytes. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static ByteSize fromJson(JsonNode node) {
    if (node.isIntegralNumber()) {
      return new ByteSize(node.asLong());
    }
    if (node.isTextual()) {
      return parse(node.asText());
    }
    throw new InvalidRequestException("a size must be a string like \"64MB\" or a number of bytes");
  }

  /** The shortest exact form: {@code 64MB}, {@code 1536KB}, {@code 100B}. */
  @JsonValue
  @Override
  public String toString() {
    String[] units = {"TB", "GB", "MB", "KB"};
    int[] shifts = {40, 30, 20, 10};
    for (int i = 0; i < units.length; i++) {
      long u = 1L << shifts[i];
      if (bytes % u == 0) {
        return (bytes / u) + units[i];
      }
    }
    return bytes + "B";
  }
}
