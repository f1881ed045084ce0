package io.capsule.sandbox.internal.meter;

/**
 * Where the metering lives in the rewritten module, and how functions are metered.
 *
 * @param fuelGlobal index of the added {@code capsule_fuel} global
 * @param refillFunction index of the added {@code capsule_meter.refill} import
 * @param importedFunctions how many functions the original module imports
 * @param strategy which functions count fuel in a local
 * @param checksOnEntry for each function the module defines (by original index minus imports),
 *     whether its entry checks the fuel
 * @param fuelParameters which functions take their caller's count as a parameter
 */
record MeterLayout(
    int fuelGlobal,
    int refillFunction,
    int importedFunctions,
    MeteringStrategy strategy,
    boolean[] checksOnEntry,
    FuelParameters fuelParameters) {

  /** The index in the rewritten module of function {@code index} of the original module. */
  int shiftFunction(long index) {
    return index >= importedFunctions ? (int) index + 1 : (int) index;
  }

  /** Whether calling function {@code index} (original numbering) passes a fuel check. */
  boolean callChecks(long index) {
    return index >= importedFunctions && checksOnEntry[(int) index - importedFunctions];
  }
}
