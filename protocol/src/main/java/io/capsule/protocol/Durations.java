package io.capsule.protocol;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and formats durations written like capsule-run's {@code timeout}: {@code 500ms}, {@code
 * 30s}, {@code 5m}, {@code 1h}, or several parts ({@code 1m30s}). A bare number is seconds.
 */
public final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
  // Up to here millis * 1e6 is exact in a double: the general path gives the same duration.
  private static final long SIMPLE_MAX_MILLIS = 9_000_000_000L;
  private static final long MAX_MILLIS = Long.MAX_VALUE / 1_000_000;
  private static final Pattern NUMBER = Pattern.compile("\\d+(\\.\\d+)?");

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @throws InvalidRequestException with the accepted forms when {@code text} is not one
   */
  public static Duration parse(String text) {
    Duration simple = text == null ? null : simple(text);
    if (simple != null) {
      return simple;
    }
    String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT).replace(" ", "");
    if (NUMBER.matcher(t).matches()) {
      t = t + "s";
    }
    Matcher m = PART.matcher(t);
    double millis = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      millis += Double.parseDouble(m.group(1)) * unitMillis(m.group(2));
      end = m.end();
    }
    if (t.isEmpty() || end != t.length()) {
      throw new InvalidRequestException(
          "duration '" + text + "' is not understood; use ms, s, m or h, like 500ms, 30s or 5m");
    }
    if (millis <= 0) {
      throw new InvalidRequestException("duration '" + text + "' must be positive");
    }
    double nanos = millis * 1_000_000;
    if (nanos >= Long.MAX_VALUE) { // rounding would saturate to 292 years, not what was written
      throw new InvalidRequestException(
          "duration '"
              + text
              + "' is out of range; the longest is "
              + MAX_MILLIS / 3_600_000
              + "h");
    }
    return Duration.ofNanos(Math.round(nanos));
  }

  /**
   * The common form, digits and one lower-case unit ({@code 30s}, {@code 500ms}), read without the
   * regular expressions (once per request read by a worker); {@code null} for any other form, and
   * past {@link #SIMPLE_MAX_MILLIS}, which {@link #parse} reads the general way.
   */
  private static Duration simple(String text) {
    int digits = 0;
    long number = 0;
    while (digits < text.length() && digits < 10) {
      char c = text.charAt(digits);
      if (c < '0' || c > '9') {
        break;
      }
      number = number * 10 + (c - '0');
      digits++;
    }
    if (digits == 0) {
      return null;
    }
    long millis =
        switch (text.substring(digits)) {
          case "ms" -> number;
          case "s" -> number * 1_000;
          case "m" -> number * 60_000;
          case "h" -> number * 3_600_000;
          default -> 0;
        };
    return millis > 0 && millis <= SIMPLE_MAX_MILLIS ? Duration.ofMillis(millis) : null;
  }

  private static double unitMillis(String unit) {
    switch (unit) {
      case "ms":
        return 1;
      case "s":
        return 1_000;
      case "m":
        return 60_000;
      default:
        return 3_600_000;
    }
  }

  /** The shortest exact form among {@code ms}, {@code s}, {@code m}, {@code h}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1_000 == 0 && ms > 0) {
      return ms / 1_000 + "s";
    }
    return ms + "ms";
  }
}
