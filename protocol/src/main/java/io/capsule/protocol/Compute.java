package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Objects;

/**
 * A fuel budget: a named level or a custom number of units.
 *
 * @param level the level; {@code CUSTOM} for a number
 * @param fuel the budget in units
 */
public record Compute(ComputeLevel level, long fuel) {
  /** The default budget, {@code MEDIUM}. */
  public static final Compute DEFAULT = of(ComputeLevel.MEDIUM);

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

  /** Reads the JSON form: a level name or a number. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static Compute fromJson(JsonNode node) {
    if (node.isIntegralNumber()) {
      return custom(node.asLong());
    }
    if (node.isTextual()) {
      return parse(node.asText());
    }
    throw new InvalidRequestException("compute must be a level name or a number, not " + node);
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
