package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
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
@JsonDeserialize(using = ByteSize.Reader.class)
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
    ByteSize plain = plainForm(text);
    if (plain != null) {
      return plain;
    }
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

  /**
   * The common forms {@code 16MB} and {@code 1048576} (digits, then an upper-case unit with its
   * {@code B}, or none) read without the pattern; {@code null} for anything else, which the pattern
   * reads (or refuses).
   */
  private static ByteSize plainForm(String text) {
    int length = text == null ? 0 : text.length();
    int digits = 0;
    while (digits < length && digits < 15 && isDigit(text.charAt(digits))) {
      digits++;
    }
    if (digits == 0) {
      return null;
    }
    long number = Long.parseLong(text, 0, digits, 10);
    if (digits == length) {
      return number < 1 ? null : new ByteSize(number);
    }
    if (digits + 2 != length || text.charAt(length - 1) != 'B') {
      return null;
    }
    long unit = unit(text.substring(digits, digits + 1));
    return unit == 1 || number < 1 || number > Long.MAX_VALUE / unit
        ? null
        : new ByteSize(number * unit);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
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

  /**
   * Reads the JSON form, a size string or a number of bytes, from the parser's tokens (no tree in
   * between: every request read by a worker's poll thread has one).
   */
  static final class Reader extends StdDeserializer<ByteSize> {
    private static final long serialVersionUID = 1L;

    Reader() {
      super(ByteSize.class);
    }

    @Override
    public ByteSize deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken token = p.currentToken();
      if (token == JsonToken.VALUE_NUMBER_INT) {
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
          throw new InvalidRequestException("size " + p.getText() + " bytes is out of range");
        }
        return new ByteSize(p.getLongValue());
      }
      if (token == JsonToken.VALUE_STRING) {
        return parse(p.getText());
      }
      throw new InvalidRequestException(
          "a size must be a string like \"64MB\" or a number of bytes");
    }
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
