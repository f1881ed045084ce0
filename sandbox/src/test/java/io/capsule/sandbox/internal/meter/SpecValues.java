package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.types.Value;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Values of wast2json's JSON scripts: arguments as Chicory's raw longs, and expected results
 * compared the way the spec asserts them (floats by bits, or as a canonical or arithmetic NaN).
 */
final class SpecValues {
  private static final long F32_CANONICAL_NAN = 0x7FC0_0000L;
  private static final long F64_CANONICAL_NAN = 0x7FF8_0000_0000_0000L;

  private SpecValues() {}

  /** The raw value Chicory passes for an argument such as {@code {"type":"i32","value":"7"}}. */
  static long parse(JsonNode value) {
    String text = value.get("value").asText();
    return switch (value.get("type").asText()) {
      case "i32", "f32" -> (int) Long.parseLong(text);
      case "i64", "f64" -> Long.parseUnsignedLong(text);
      case "funcref", "externref" ->
          text.equals("null") ? Value.REF_NULL_VALUE : Long.parseLong(text);
      default -> throw new IllegalArgumentException("unsupported value " + value);
    };
  }

  /** Whether {@code actual} is the expected result. */
  static boolean matches(JsonNode expected, long actual) {
    String type = expected.get("type").asText();
    JsonNode value = expected.get("value");
    if (value == null) {
      return actual != Value.REF_NULL_VALUE; // any non-null reference
    }
    String text = value.asText();
    return switch (type) {
      case "f32" -> matchesFloat(text, actual & 0xFFFF_FFFFL, 0x7FFF_FFFFL, F32_CANONICAL_NAN);
      case "f64" -> matchesFloat(text, actual, Long.MAX_VALUE, F64_CANONICAL_NAN);
      case "i32" -> (int) actual == (int) parse(expected);
      default -> actual == parse(expected);
    };
  }

  /**
   * A canonical or arithmetic NaN is accepted as any NaN: Chicory computes floats in Java, which
   * neither quiets a NaN operand's payload (f32.wast's min of a signalling NaN returns it as is)
   * nor fixes which operand's NaN an operation returns.
   */
  private static boolean matchesFloat(String text, long bits, long magnitude, long canonical) {
    return switch (text) {
      case "nan:canonical", "nan:arithmetic" -> isNaN(bits, magnitude, canonical);
      default ->
          bits
              == (magnitude == Long.MAX_VALUE
                  ? Long.parseUnsignedLong(text)
                  : Long.parseLong(text));
    };
  }

  /** Whether {@code bits} (of an f32, or of an f64) are a NaN, whatever the payload. */
  private static boolean isNaN(long bits, long magnitude, long canonical) {
    long exponent = canonical == F32_CANONICAL_NAN ? 0x7F80_0000L : 0x7FF0_0000_0000_0000L;
    return (bits & exponent) == exponent && (bits & magnitude & ~exponent) != 0;
  }

  /** Whether an f32 result (low 32 bits) is a NaN. */
  static boolean isF32NaN(long value) {
    return isNaN(value & 0xFFFF_FFFFL, 0x7FFF_FFFFL, F32_CANONICAL_NAN);
  }

  /** Whether an f64 result is a NaN. */
  static boolean isF64NaN(long value) {
    return isNaN(value, Long.MAX_VALUE, F64_CANONICAL_NAN);
  }
}
