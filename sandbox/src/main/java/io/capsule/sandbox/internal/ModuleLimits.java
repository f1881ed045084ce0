package io.capsule.sandbox.internal;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Element;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.SubType;
import com.dylibso.chicory.wasm.types.TableImport;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.ValType;
import io.capsule.protocol.InvalidModuleException;
import java.util.List;
import java.util.Set;

/**
 * What a task module may declare, checked on the parsed module before any instrumentation,
 * compilation or instantiation: the WebAssembly proposals the product accepts and bounds on the
 * module's size and shape. A module outside them is refused with {@code invalid_module} naming the
 * feature or limit. The reasons for each decision are in {@code docs/guest-abi.md} ("Accepted
 * proposals and module limits").
 *
 * <p>Capsule's own pinned interpreters are well inside every bound (CPython 3.12: 11,448 functions,
 * at most 187 declared locals in a function, one table of 5,903 entries, 24,171 data segments;
 * QuickJS: 1,698 functions, at most 50 declared locals).
 */
public final class ModuleLimits {
  /** Largest module accepted, in bytes. */
  public static final int MAX_MODULE_BYTES = 64 << 20;

  /** Most functions a module may define. */
  public static final int MAX_FUNCTIONS = 200_000;

  /** Most parameters plus locals of one function. */
  public static final int MAX_LOCALS = 2_048;

  /**
   * Most parameters plus locals of a function whose body is over {@link #LARGE_BODY_BYTES}: such a
   * function may be too large for one JVM method, and Chicory then interprets it even in compiled
   * mode, allocating its locals on the heap at every call, where no account can see them.
   */
  public static final int MAX_LOCALS_LARGE_BODY = 512;

  /** The body size from which {@link #MAX_LOCALS_LARGE_BODY} applies, in bytes. */
  public static final int LARGE_BODY_BYTES = 16 << 10;

  /** Most globals a module may define (each is a host object per instance). */
  public static final int MAX_GLOBALS = 100_000;

  /** Most tables, imported or defined. */
  public static final int MAX_TABLES = 8;

  /** Most entries a table may declare initially (growth is charged to the attempt's account). */
  public static final long MAX_TABLE_INITIAL = 1L << 20;

  /** Most element segments. */
  public static final int MAX_ELEMENT_SEGMENTS = 100_000;

  /** Most entries over all element segments together. */
  public static final long MAX_ELEMENT_ENTRIES = 1L << 20;

  /** Most data segments (CPython has 24,171). */
  public static final int MAX_DATA_SEGMENTS = 100_000;

  /** Most linear memories, imported or defined. */
  public static final int MAX_MEMORIES = 1;

  private static final Set<OpCode> TYPED_REFERENCE_OPS =
      Set.of(
          OpCode.CALL_REF,
          OpCode.RETURN_CALL_REF,
          OpCode.REF_EQ,
          OpCode.REF_AS_NON_NULL,
          OpCode.BR_ON_NULL,
          OpCode.BR_ON_NON_NULL);

  private static final Set<Integer> PLAIN_HEAP_TYPES =
      Set.of(
          ValType.TypeIdxCode.FUNC.code(),
          ValType.TypeIdxCode.EXTERN.code(),
          ValType.TypeIdxCode.EXN.code());

  private ModuleLimits() {}

  /**
   * Checks a parsed task module against the accepted proposals and limits.
   *
   * @param module the parsed module
   * @param sizeBytes the size of the module's binary
   * @throws InvalidModuleException naming the first feature or limit the module is outside of
   */
  public static void check(WasmModule module, int sizeBytes) {
    atMost(sizeBytes, MAX_MODULE_BYTES, "module size in bytes");
    checkTypes(module);
    checkMemories(module);
    checkTables(module);
    checkSegments(module);
    atMost(module.globalSection().globalCount(), MAX_GLOBALS, "globals");
    for (var global : module.globalSection().globals()) {
      checkValueType(global.valueType(), "a global");
      checkCode(global.initInstructions(), "a global's initialiser");
    }
    checkFunctions(module);
  }

  private static void checkTypes(WasmModule module) {
    var types = module.typeSection();
    for (int i = 0; i < types.subTypeCount(); i++) {
      SubType sub = types.getSubType(i);
      FunctionType function = sub.compType().funcType();
      if (function == null) {
        throw refused("the GC proposal (struct and array types)");
      }
      if (sub.typeIdx().length > 0 || !sub.isFinal()) {
        throw refused("the GC proposal (subtyping)");
      }
      function.params().forEach(t -> checkValueType(t, "a function type"));
      function.returns().forEach(t -> checkValueType(t, "a function type"));
    }
  }

  private static void checkMemories(WasmModule module) {
    int imported = module.importSection().count(ExternalType.MEMORY);
    int defined = module.memorySection().map(s -> s.memoryCount()).orElse(0);
    if (imported + defined > MAX_MEMORIES) {
      throw refused("the multi-memory proposal (" + (imported + defined) + " memories)");
    }
    for (int i = 0; i < defined; i++) {
      checkMemory(module.memorySection().get().getMemory(i).limits());
    }
    module.importSection().stream()
        .filter(MemoryImport.class::isInstance)
        .forEach(m -> checkMemory(((MemoryImport) m).limits()));
  }

  private static void checkMemory(MemoryLimits limits) {
    if (limits.shared()) {
      throw refused("the threads proposal (shared memory)");
    }
  }

  private static void checkTables(WasmModule module) {
    var tables = module.tableSection();
    atMost(
        module.importSection().count(ExternalType.TABLE) + tables.tableCount(),
        MAX_TABLES,
        "tables");
    for (int i = 0; i < tables.tableCount(); i++) {
      var table = tables.getTable(i);
      checkTable(table.limits(), table.elementType());
      checkCode(table.initialize(), "a table initialiser");
    }
    module.importSection().stream()
        .filter(TableImport.class::isInstance)
        .map(TableImport.class::cast)
        .forEach(t -> checkTable(t.limits(), t.entryType()));
  }

  private static void checkTable(TableLimits limits, ValType elementType) {
    checkValueType(elementType, "a table");
    atMost(limits.min(), MAX_TABLE_INITIAL, "initial entries of a table");
  }

  private static void checkSegments(WasmModule module) {
    Element[] elements = module.elementSection().elements();
    atMost(elements.length, MAX_ELEMENT_SEGMENTS, "element segments");
    long entries = 0;
    for (Element element : elements) {
      checkValueType(element.type(), "an element segment");
      entries += element.elementCount();
      element.initializers().forEach(init -> checkCode(init, "an element segment"));
    }
    atMost(entries, MAX_ELEMENT_ENTRIES, "entries over all element segments");
    DataSegment[] data = module.dataSection().dataSegments();
    atMost(data.length, MAX_DATA_SEGMENTS, "data segments");
  }

  private static void checkFunctions(WasmModule module) {
    var code = module.codeSection();
    atMost(code.functionBodyCount(), MAX_FUNCTIONS, "functions");
    int imported = module.importSection().count(ExternalType.FUNCTION);
    for (int i = 0; i < code.functionBodyCount(); i++) {
      FunctionBody body = code.getFunctionBody(i);
      String name = "function " + (imported + i);
      int params =
          module.typeSection().getType(module.functionSection().getFunctionType(i)).params().size();
      checkLocals(name, params + body.localTypes().size(), bodyBytes(body));
      body.localTypes().forEach(t -> checkValueType(t, "a local of " + name));
      checkCode(body.instructions(), name);
    }
  }

  private static void checkLocals(String function, int locals, int bodyBytes) {
    int max = bodyBytes > LARGE_BODY_BYTES ? MAX_LOCALS_LARGE_BODY : MAX_LOCALS;
    if (locals > max) {
      String which =
          bodyBytes > LARGE_BODY_BYTES
              ? " (a function body over " + LARGE_BODY_BYTES + " bytes)"
              : "";
      throw new InvalidModuleException(
          function
              + " has "
              + locals
              + " parameters and locals, more than the limit of "
              + max
              + which);
    }
  }

  /** The body's size in bytes, from its first and last instruction's offset in the file. */
  private static int bodyBytes(FunctionBody body) {
    List<? extends Instruction> code = body.instructions();
    return code.isEmpty() ? 0 : code.get(code.size() - 1).address() - code.get(0).address();
  }

  private static void checkCode(List<? extends Instruction> code, String where) {
    for (Instruction instruction : code) {
      String proposal = proposalOf(instruction.opcode());
      if (proposal != null) {
        throw refused(proposal + " (" + instruction.opcode() + " in " + where + ")");
      }
    }
  }

  /** The refused proposal an instruction belongs to, or {@code null} when it is accepted. */
  private static String proposalOf(OpCode op) {
    int prefix = op.opcode() >>> 8;
    if (prefix == 0xFB) {
      return "the GC proposal";
    }
    if (prefix == 0xFD) {
      return "the SIMD proposal";
    }
    if (prefix == 0xFE) {
      return "the threads proposal";
    }
    return TYPED_REFERENCE_OPS.contains(op) ? "the typed function references proposal" : null;
  }

  private static void checkValueType(ValType type, String where) {
    if (type.equals(ValType.V128)) {
      throw refused("the SIMD proposal (v128 in " + where + ")");
    }
    if (!type.isNumeric() && !isPlainReference(type)) {
      throw refused("the GC or typed function references proposal (" + type + " in " + where + ")");
    }
  }

  /**
   * Whether a reference type is {@code funcref}, {@code externref} or {@code exnref}, nullable or
   * not (element segments of function indices have type {@code (ref func)}).
   */
  private static boolean isPlainReference(ValType type) {
    if (type.equals(ValType.FuncRef)
        || type.equals(ValType.ExternRef)
        || type.equals(ValType.ExnRef)) {
      return true;
    }
    boolean reference = type.opcode() == ValType.ID.Ref || type.opcode() == ValType.ID.RefNull;
    return reference && PLAIN_HEAP_TYPES.contains(type.typeIdx());
  }

  private static void atMost(long value, long limit, String what) {
    if (value > limit) {
      throw new InvalidModuleException(
          "module has " + value + " " + what + ", more than the limit of " + limit);
    }
  }

  private static InvalidModuleException refused(String feature) {
    return new InvalidModuleException(
        "module uses " + feature + ", which the sandbox does not accept");
  }
}
