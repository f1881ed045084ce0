package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capsule.protocol.InvalidModuleException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Runs one converted spec script on two {@linkplain SpecWorld sides}, the original modules and the
 * fuel-instrumented ones, command by command: every module instantiates on both, every action gives
 * the same results (or the same trap) on both, and the original's outcome is what the script
 * asserts (which checks the harness itself). Module assertions ({@code assert_invalid}, {@code
 * assert_malformed}, {@code assert_unlinkable}, {@code assert_uninstantiable}) check that the
 * instrumented side refuses whatever the original refuses.
 */
public final class SpecScript {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What one script ran, and what went wrong. */
  public static final class Tally {
    public int modules;
    public int assertions;
    public int moduleAssertions;
    public int skippedCommands;
    public final Map<String, List<String>> refusedModules = new TreeMap<>();
    public final List<String> divergences = new ArrayList<>();
    public final List<String> specMismatches = new ArrayList<>();
  }

  private final String file;
  private final Path dir;
  private final SpecWorld original;
  private final SpecWorld instrumented;
  private final ExecutionMode mode;
  private final Tally tally;

  private SpecScript(
      String file, Path dir, ExecutionMode mode, Tally tally, SpecWorld original, SpecWorld other) {
    this.file = file;
    this.dir = dir;
    this.mode = mode;
    this.tally = tally;
    this.original = original;
    this.instrumented = other;
  }

  /**
   * Runs the script {@code json} in {@code mode}, adding to {@code tally}. A module that Chicory or
   * the rewriter refuses is listed in the tally, and the commands that use it are skipped.
   */
  static void run(String file, Path json, ExecutionMode mode, Tally tally) {
    run(file, json, mode, tally, new SpecWorld(false, mode), new SpecWorld(true, mode));
  }

  /**
   * Runs the script {@code json} in {@code mode} with two metered sides: one whose modules {@code
   * reference} prepares, and one whose modules {@code other} prepares (another rewrite of the same
   * metered module, say), adding to {@code tally}.
   */
  public static void run(
      String file,
      Path json,
      ExecutionMode mode,
      Tally tally,
      Function<byte[], WasmModule> reference,
      Function<byte[], WasmModule> other) {
    run(
        file,
        json,
        mode,
        tally,
        new SpecWorld(reference, true, mode),
        new SpecWorld(other, true, mode));
  }

  private static void run(
      String file, Path json, ExecutionMode mode, Tally tally, SpecWorld first, SpecWorld second) {
    JsonNode script;
    try {
      script = JSON.readTree(Files.readString(json));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    var runner = new SpecScript(file, json.getParent(), mode, tally, first, second);
    for (JsonNode command : script.get("commands")) {
      runner.execute(command);
    }
  }

  private void execute(JsonNode command) {
    switch (command.get("type").asText()) {
      case "module" -> module(command);
      case "register" -> register(command);
      case "action", "assert_return", "assert_trap", "assert_exhaustion" -> action(command);
      case "assert_invalid", "assert_malformed", "assert_unlinkable", "assert_uninstantiable" ->
          refusal(command);
      default -> throw new IllegalStateException(where(command) + "unknown command " + command);
    }
  }

  private void module(JsonNode command) {
    byte[] wasm = read(command.get("filename").asText());
    String name = text(command, "name");
    try {
      original.load(wasm, name);
    } catch (RuntimeException | StackOverflowError e) {
      refused(command, name, "Chicory refuses it: " + describe(e));
      return;
    }
    try {
      instrumented.load(wasm, name);
    } catch (InvalidModuleException e) {
      refused(command, name, "the rewriter refuses it: " + e.getMessage());
      return;
    } catch (RuntimeException | StackOverflowError e) {
      tally.divergences.add(where(command) + "only the instrumented module fails: " + describe(e));
      refused(command, name, "the instrumented module fails");
      return;
    }
    tally.modules++;
  }

  private void refused(JsonNode command, String name, String reason) {
    original.forget(name);
    instrumented.forget(name);
    tally.refusedModules.computeIfAbsent(file, f -> new ArrayList<>()).add(where(command) + reason);
  }

  private void register(JsonNode command) {
    String name = text(command, "name");
    if (!original.has(name)) {
      tally.skippedCommands++;
      return;
    }
    original.register(name, text(command, "as"));
    instrumented.register(name, text(command, "as"));
  }

  private void refusal(JsonNode command) {
    if (!"binary".equals(text(command, "module_type"))) {
      tally.skippedCommands++; // a text module: wast2json leaves it unparsed
      return;
    }
    byte[] wasm = read(command.get("filename").asText());
    Throwable originalFailure = instantiationFailure(original, wasm);
    Throwable instrumentedFailure = instantiationFailure(instrumented, wasm);
    tally.moduleAssertions++;
    if (originalFailure != null && instrumentedFailure == null) {
      tally.divergences.add(
          where(command)
              + "the instrumented module is accepted, the original refused: "
              + describe(originalFailure));
    } else if (originalFailure == null
        && instrumentedFailure != null
        && !(instrumentedFailure instanceof InvalidModuleException)) {
      tally.divergences.add(
          where(command) + "only the instrumented module fails: " + describe(instrumentedFailure));
    }
  }

  private static Throwable instantiationFailure(SpecWorld world, byte[] wasm) {
    try {
      world.instantiate(wasm);
      return null;
    } catch (RuntimeException | StackOverflowError e) {
      return e;
    }
  }

  private void action(JsonNode command) {
    JsonNode action = command.get("action");
    String type = command.get("type").asText();
    if (usesV128(action.get("args"))
        || usesV128(command.get("expected"))
        || !original.has(text(action, "module"))) {
      tally.skippedCommands++;
      return;
    }
    Outcome before = perform(original, action);
    Outcome after = perform(instrumented, action);
    tally.assertions++;
    if (!before.sameAs(after)) {
      tally.divergences.add(
          where(command) + describe(action) + ": original " + before + ", instrumented " + after);
    }
    String mismatch =
        switch (type) {
          case "assert_return" -> before.matches(command.get("expected"));
          case "assert_trap", "assert_exhaustion" ->
              before.trap() == null ? "no trap, expected \"" + text(command, "text") + "\"" : null;
          default -> null;
        };
    if (mismatch != null) {
      tally.specMismatches.add(where(command) + describe(action) + ": " + mismatch);
    }
  }

  private Outcome perform(SpecWorld world, JsonNode action) {
    Instance instance = world.module(text(action, "module"));
    String field = action.get("field").asText();
    try {
      if (action.get("type").asText().equals("get")) {
        var global = instance.exports().global(field);
        return Outcome.returned(List.of(global.getType()), new long[] {global.getValue()});
      }
      long[] args = arguments(action.get("args"));
      List<ValType> returns = instance.exportType(field).returns();
      long[] results = instance.export(field).apply(args);
      return Outcome.returned(returns, results == null ? new long[0] : results);
    } catch (RuntimeException | StackOverflowError e) {
      return Outcome.trapped(e);
    }
  }

  /** How an action ended: results (compared by their types) or a trap. */
  record Outcome(List<ValType> types, long[] results, Throwable trap) {
    static Outcome returned(List<ValType> types, long[] results) {
      return new Outcome(types, results, null);
    }

    static Outcome trapped(Throwable trap) {
      return new Outcome(List.of(), null, trap);
    }

    /**
     * The same results (bit for bit; function references only as null or not, since the rewriter
     * renumbers functions; NaNs as NaN, whatever the payload, since the spec lets an operation on
     * two NaNs return either and the JIT compiles {@code a + b} of the original and of the
     * instrumented function with the operands in different orders) or a trap of the same kind and
     * message (stack exhaustion: same kind).
     */
    boolean sameAs(Outcome other) {
      if (trap != null || other.trap != null) {
        return trap != null && other.trap != null && trapKind().equals(other.trapKind());
      }
      if (results.length != other.results.length) {
        return false;
      }
      for (int i = 0; i < results.length; i++) {
        if (canonical(types.get(i), results[i]) != canonical(types.get(i), other.results[i])) {
          return false;
        }
      }
      return true;
    }

    private String trapKind() {
      if (trap instanceof StackOverflowError) {
        return "StackOverflowError";
      }
      return trap.getClass().getName() + ": " + trap.getMessage();
    }

    private static long canonical(ValType type, long value) {
      if (type.equals(ValType.FuncRef)) {
        return value == Value.REF_NULL_VALUE ? 0 : 1;
      }
      if (type.equals(ValType.F32) && SpecValues.isF32NaN(value)
          || type.equals(ValType.F64) && SpecValues.isF64NaN(value)) {
        return -1; // any NaN (see sameAs)
      }
      if (type.equals(ValType.I32) || type.equals(ValType.F32)) {
        return value & 0xFFFF_FFFFL;
      }
      return value;
    }

    /** Null when the results are what the script expects, else what differs. */
    String matches(JsonNode expected) {
      if (trap != null) {
        return "trapped (" + describe(trap) + "), expected " + expected;
      }
      if (results.length != expected.size()) {
        return "returned " + this + ", expected " + expected;
      }
      for (int i = 0; i < results.length; i++) {
        if (!SpecValues.matches(expected.get(i), results[i])) {
          return "returned " + this + ", expected " + expected;
        }
      }
      return null;
    }

    @Override
    public String toString() {
      return trap != null ? "trap " + describe(trap) : Arrays.toString(results);
    }
  }

  private static long[] arguments(JsonNode args) {
    long[] values = new long[args.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = SpecValues.parse(args.get(i));
    }
    return values;
  }

  private static boolean usesV128(JsonNode values) {
    if (values == null) {
      return false;
    }
    for (JsonNode value : values) {
      if (value.get("type").asText().equals("v128")) {
        return true;
      }
    }
    return false;
  }

  private byte[] read(String filename) {
    try {
      return Files.readAllBytes(dir.resolve(filename));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String where(JsonNode command) {
    return file + ".wast:" + command.get("line").asInt() + " (" + mode + "): ";
  }

  private static String describe(JsonNode action) {
    return action.get("type").asText()
        + " "
        + (action.has("module") ? action.get("module").asText() + "." : "")
        + action.get("field").asText()
        + (action.has("args") ? action.get("args").toString() : "");
  }

  private static String describe(Throwable e) {
    String message = String.valueOf(e.getMessage()).strip();
    int newline = message.indexOf('\n');
    return e.getClass().getSimpleName()
        + ": "
        + (newline < 0 ? message : message.substring(0, newline));
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null ? null : value.asText();
  }
}
