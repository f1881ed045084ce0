package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
import java.util.Locale;
import java.util.Objects;

/**
 * A fuel budget: a named level or a custom number of units.
 *
 * @param level the level; {@code CUSTOM} for a number
 * @param fuel the budget in units
 */
@JsonDeserialize(using = Compute.Reader.class)
public record Compute(ComputeLevel level, long fuel) {
  /** The default budget, {@code MEDIUM}. */
  public static final Compute DEFAULT = of(ComputeLevel.MEDIUM);

  private static final Compute LOW = of(ComputeLevel.LOW);
  private static final Compute HIGH = of(ComputeLevel.HIGH);

  /** Checks that the budget is positive and matches the level. */
  public Compute {
    Objects.requireNonNull(level, "level");
    if (fuel <= 0) {
      throw new InvalidRequestException(
          "compute must be a positive number of fuel units, not " + fuel);
    }
    if (level != ComputeLevel.CUSTOM && fuel != level.fuel()) {
      throw new InvalidRequestException(level + " is " + level.fuel() + " fuel units, not " + fuel);
    }
  }

  /** A named level. */
  public static Compute of(ComputeLevel level) {
    return new Compute(level, level.fuel());
  }

  /** A custom budget. */
  public static Compute custom(long fuel) {
    return new Compute(ComputeLevel.CUSTOM, fuel);
  }

  /**
   * Parses {@code LOW}, {@code medium}, {@code HIGH} (any case), or a positive number of units
   * ({@code 5000000}, {@code 5_000_000}).
   *
   * @throws InvalidRequestException for anything else
   */
  public static Compute parse(String text) {
    Objects.requireNonNull(text, "compute");
    switch (text) { // the names as written on the wire, without the work below
      case "LOW":
        return LOW;
      case "MEDIUM":
        return DEFAULT;
      case "HIGH":
        return HIGH;
      default:
        break;
    }
    String t = text.strip().replace("_", "").replace(",", "");
    if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
      try {
        return custom(Long.parseLong(t));
      } catch (NumberFormatException e) {
        throw new InvalidRequestException("compute '" + text + "' is too large");
      }
    }
    String name = t.toUpperCase(Locale.ROOT);
    if (name.equals("LOW") || name.equals("MEDIUM") || name.equals("HIGH")) {
      return of(ComputeLevel.valueOf(name));
    }
    throw new InvalidRequestException(
        "compute must be LOW, MEDIUM, HIGH or a positive number of fuel units, not '" + text + "'");
  }

  /**
   * Reads the JSON form, a level name or a number, from the parser's tokens (no tree in between:
   * every request read by a worker's poll thread has one).
   */
  static final class Reader extends StdDeserializer<Compute> {
    private static final long serialVersionUID = 1L;

    Reader() {
      super(Compute.class);
    }

    @Override
    public Compute deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken token = p.currentToken();
      if (token == JsonToken.VALUE_NUMBER_INT) {
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
          throw new InvalidRequestException("compute '" + p.getText() + "' is too large");
        }
        return custom(p.getLongValue());
      }
      if (token == JsonToken.VALUE_STRING) {
        return parse(p.getText());
      }
      JsonNode node = p.readValueAsTree();
      throw new InvalidRequestException("compute must be a level name or a number, not " + node);
    }
  }

  /** The JSON form: the level name, or the number for {@code CUSTOM}. */
  @JsonValue
  public Object toJson() {
    return level == ComputeLevel.CUSTOM ? (Object) fuel : level.name();
  }

  /** The level whose topic carries this budget: a named level, or the smallest that holds it. */
  public ComputeLevel routingLevel() {
    return level == ComputeLevel.CUSTOM ? ComputeLevel.smallestHolding(fuel) : level;
  }

  @Override
  public String toString() {
    return level == ComputeLevel.CUSTOM ? Long.toString(fuel) : level.name();
  }
}
