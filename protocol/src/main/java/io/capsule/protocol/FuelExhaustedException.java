package io.capsule.protocol;

/** The task used up its fuel budget. */
public final class FuelExhaustedException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  private final long budget;

  /** Creates the exception for the budget that ran out. */
  public FuelExhaustedException(long budget) {
    super(ErrorType.FUEL_EXHAUSTED, "task used all of its fuel (" + budget + " units)");
    this.budget = budget;
  }

  /** The fuel budget that ran out. */
  public long budget() {
    return budget;
  }
}
