package io.capsule.protocol;

import java.util.Locale;

/** Named fuel budgets, with capsule-run's numbers. {@code CUSTOM} carries its own number. */
public enum ComputeLevel {
  /** 100,000,000 units. */
  LOW(100_000_000L),
  /** 2,000,000,000 units; the default. */
  MEDIUM(2_000_000_000L),
  /** 50,000,000,000 units. */
  HIGH(50_000_000_000L),
  /** A budget given as a number. */
  CUSTOM(-1);

  private final long fuel;

  ComputeLevel(long fuel) {
    this.fuel = fuel;
  }

  /**
   * The budget of a named level.
   *
   * @throws IllegalStateException for {@code CUSTOM}, which has no fixed budget
   */
  public long fuel() {
    if (this == CUSTOM) {
      throw new IllegalStateException("CUSTOM has no fixed fuel budget");
    }
    return fuel;
  }

  /** The lower-case name used in topic names, e.g. {@code low}. */
  public String topicSuffix() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The smallest named level whose budget holds {@code fuel}; {@code HIGH} when none does.
   *
   * @param fuel a budget in units
   */
  public static ComputeLevel smallestHolding(long fuel) {
    for (ComputeLevel level : new ComputeLevel[] {LOW, MEDIUM, HIGH}) {
      if (fuel <= level.fuel) {
        return level;
      }
    }
    return HIGH;
  }
}
