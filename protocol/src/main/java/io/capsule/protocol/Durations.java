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
  private static final Pattern NUMBER = Pattern.compile("\\d+(\\.\\d+)?");

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @throws InvalidRequestException with the accepted forms when {@code text} is not one
   */
  public static Duration parse(String text) {
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
    return Duration.ofNanos(Math.round(millis * 1_000_000));
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
