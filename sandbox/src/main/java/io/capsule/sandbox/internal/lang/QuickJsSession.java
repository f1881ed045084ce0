package io.capsule.sandbox.internal.lang;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.TaskFailedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ObjLongConsumer;

/**
 * Runs one JavaScript task on the quickjs-wasi reactor by driving its C API: {@link #initialise}
 * ({@code _initialize}, {@code qjs_init}, the host function {@code __capsule_host} through the
 * {@code env.host_call} trampoline, the SDK prelude; done once per module and snapshotted), then
 * {@link #runTask} (the task file and {@code __capsule_run}, then the job queue and timers until
 * the task's promise settles; when only sub-tasks are left, the host waits for the next to finish
 * and settles its promise with {@code __capsule_settle}). Everything the task does runs inside
 * instrumented code, so fuel and timeouts hold; {@code onTaskStart} marks where the task's own work
 * begins.
 */
public final class QuickJsSession {
  private static final String HOST_FUNCTION = "__capsule_host";
  private static final String PRELUDE = resource("/io/capsule/sandbox/sdk/js/prelude.js");

  private final GuestRequests requests;
  private final ObjLongConsumer<Instance> charge;
  private Instance instance;
  private String fileName = "task.js";
  private static final double SETTLED = -2;
  private static final int COMPILE_ONLY = 1 << 5; // quickjs-wasi's EvalFlags.COMPILE_ONLY
  // what the host reads of an uncaught exception: its text (one line of it is kept) and its stack
  private static final int MAX_ERROR_BYTES = 8 << 10;
  private static final int MAX_STACK_BYTES = 64 << 10;
  private int tick;

  /** A session answering the SDK with {@code requests}, charging nothing for host calls. */
  public QuickJsSession(GuestRequests requests) {
    this(requests, (instance, units) -> {});
  }

  /**
   * A session answering the SDK with {@code requests} that charges each host call's bytes (the
   * request and its answer) to the running instance through {@code charge} (a fuel meter's).
   */
  public QuickJsSession(GuestRequests requests, ObjLongConsumer<Instance> charge) {
    this.requests = requests;
    this.charge = charge;
  }

  /** The {@code env} imports of the reactor: the host-call trampoline, the rest inert. */
  public HostFunction[] envFunctions(WasmModule module) {
    List<HostFunction> functions = new ArrayList<>();
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      if (imports.getImport(i) instanceof FunctionImport f && f.module().equals("env")) {
        FunctionType type = module.typeSection().getType(f.typeIndex());
        functions.add(
            new HostFunction(
                "env",
                f.name(),
                type,
                f.name().equals("host_call")
                    ? (inst, args) -> new long[] {hostCall(args)}
                    : (inst, args) ->
                        type.returns().isEmpty() ? null : new long[type.returns().size()]));
      }
    }
    return functions.toArray(HostFunction[]::new);
  }

  /** Adds {@link #envFunctions} to {@code builder}. */
  public void addImports(ImportValues.Builder builder, WasmModule module) {
    builder.addFunction(envFunctions(module));
  }

  /**
   * Starts the interpreter in a fresh {@code instance}: {@code _initialize}, a runtime and context,
   * the host function and the SDK prelude. Afterwards the reactor is idle (its stack is empty), the
   * point where {@link ReactorSnapshot#capture} may copy it; nothing in that state belongs to any
   * task (the prelude asks the host for nothing until {@link #runTask} begins).
   *
   * @throws TaskFailedException when the interpreter does not start
   */
  public void initialise(Instance instance) {
    this.instance = instance;
    call("_initialize");
    if (call("qjs_init") != 0) {
      throw new TaskFailedException("QuickJS did not initialise");
    }
    int function = call("qjs_new_host_function", cString(HOST_FUNCTION), HOST_FUNCTION.length(), 2);
    call("qjs_set_prop_string", call("qjs_get_global"), cString(HOST_FUNCTION), function);
    eval(PRELUDE, "capsule-prelude.js");
  }

  /**
   * Runs task {@code name} of {@code script} (the file {@code fileName}) with {@code args} in an
   * {@code instance} that was {@linkplain #initialise initialised}, by this session or restored
   * from a snapshot of one. An exception the task does not handle is reported to the requests as
   * the task's {@link GuestError}, naming the file's line where it was thrown, its stack in the
   * logs.
   *
   * @param onTaskStart called where the task's own work begins (fuel counts from there)
   * @throws InvalidModuleException when the file does not parse (a syntax error), naming its line
   */
  public void runTask(
      Instance instance,
      String fileName,
      String script,
      String name,
      List<JsonNode> args,
      Runnable onTaskStart) {
    this.instance = instance;
    this.fileName = fileName;
    eval("__capsule_begin(" + seeds() + ");", "capsule-begin.js");
    onTaskStart.run();
    String runner =
        "\n;__capsule_run("
            + CapsuleJson.write(name)
            + ", "
            + CapsuleJson.write(args)
            + ", "
            + CapsuleJson.write(fileName)
            + ");\n";
    try {
      evalTaskFile(JsModuleForm.script(script) + runner);
      runEventLoop();
    } catch (Thrown e) {
      requests.fail(e.error);
    }
  }

  /**
   * Evaluates the task file. A {@code SyntaxError} that compiling alone reproduces is the file's
   * (not one its code threw, such as {@code JSON.parse}'s): {@code invalid_module}.
   */
  private void evalTaskFile(String code) {
    int value = evalValue(code, fileName, 0);
    if (call("qjs_is_exception", value) == 0) {
      call("qjs_free_value", value);
      return;
    }
    GuestError error = error(call("qjs_get_exception"));
    if (error.type().equals("SyntaxError") && !compiles(code)) {
      throw new InvalidModuleException(error.message());
    }
    throw new Thrown(error);
  }

  private boolean compiles(String code) {
    int value = evalValue(code, fileName, COMPILE_ONLY);
    boolean compiled = call("qjs_is_exception", value) == 0;
    call("qjs_free_value", compiled ? value : call("qjs_get_exception"));
    return compiled;
  }

  /** An exception value as the task's error: its name, text and the file's line in its stack. */
  private GuestError error(int exception) {
    String text = string(exception, MAX_ERROR_BYTES);
    String type = property(exception, "name", 200);
    String stack = property(exception, "stack", MAX_STACK_BYTES);
    log(text + (stack.isBlank() ? "" : "\n" + stack.stripTrailing()));
    int at = stack.indexOf(fileName + ":");
    int line = at < 0 ? 0 : leadingNumber(stack.substring(at + fileName.length() + 1));
    return new GuestError(type, text, line > 0 ? fileName : null, line, false);
  }

  private String property(int object, String name, int maxBytes) {
    int value = call("qjs_get_prop_string", object, cString(name));
    String text = call("qjs_is_string", value) != 0 ? string(value, maxBytes) : "";
    call("qjs_free_value", value);
    return text;
  }

  private void log(String text) {
    requests.handle("log", com.fasterxml.jackson.databind.node.TextNode.valueOf(text));
  }

  private static int leadingNumber(String text) {
    int end = 0;
    while (end < text.length() && end < 9 && Character.isDigit(text.charAt(end))) {
      end++;
    }
    return end == 0 ? 0 : Integer.parseInt(text.substring(0, end));
  }

  /** The task's unhandled exception, on its way out of the event loop. */
  private static final class Thrown extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient GuestError error;

    Thrown(GuestError error) {
      super(error.message(), null, false, false);
      this.error = error;
    }
  }

  /**
   * Runs promise jobs, then timers as they fall due and sub-tasks as they finish, until none is
   * left or the task has its result. While sub-tasks run, the host waits for the next of them: a
   * timer due meanwhile fires when that sub-task is done. Sub-tasks still running when the task has
   * its result are not waited for (the caller's sub-task runner cancels them).
   */
  private void runEventLoop() {
    while (true) {
      drainJobs();
      double wait = nextTimer();
      if (wait == 0) {
        continue;
      }
      if (wait == SETTLED) {
        return;
      }
      if (requests.hasSpawned()) {
        long timer = wait < 0 ? -1 : (long) Math.ceil(wait);
        String done = new String(requests.awaitSpawned(timer), StandardCharsets.UTF_8);
        eval("__capsule_settle(" + done + ");", "capsule-settle.js");
        continue;
      }
      if (wait < 0) {
        return;
      }
      sleep((long) Math.ceil(wait));
    }
  }

  /** Runs the job queue dry. */
  private void drainJobs() {
    while (call("qjs_is_job_pending") != 0) {
      if (call("qjs_execute_pending_job") < 0) {
        throw new Thrown(error(call("qjs_get_exception")));
      }
    }
  }

  /**
   * Fires the next due timer (0), or says how long until one is due (ms), that none is (-1), or
   * that the task has its result ({@link #SETTLED}).
   */
  private double nextTimer() {
    if (tick == 0) {
      tick = call("qjs_get_prop_string", call("qjs_get_global"), cString("__capsule_tick"));
    }
    int value = call("qjs_call", tick, call("qjs_get_undefined"), 0, 0);
    if (call("qjs_is_exception", value) != 0) {
      throw new Thrown(error(call("qjs_get_exception")));
    }
    double wait = Double.longBitsToDouble(instance.export("qjs_get_float64").apply(value)[0]);
    call("qjs_free_value", value);
    return wait;
  }

  /** Waits for a timer; a timeout interrupts the wait (the attempt has already failed then). */
  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TaskFailedException("interrupted while waiting for a timer");
    }
  }

  /** Fresh seeds for the task's {@code Math.random}: a snapshot would otherwise repeat one. */
  private static String seeds() {
    var random = java.util.concurrent.ThreadLocalRandom.current();
    return random.nextInt()
        + ", "
        + random.nextInt()
        + ", "
        + random.nextInt()
        + ", "
        + random.nextInt();
  }

  private int evalValue(String code, String file, int flags) {
    byte[] bytes = code.getBytes(StandardCharsets.UTF_8);
    return call("qjs_eval", bytes(bytes), bytes.length, cString(file), flags);
  }

  private void eval(String code, String file) {
    int value = evalValue(code, file, 0);
    if (call("qjs_is_exception", value) != 0) {
      throw new TaskFailedException(exceptionText(call("qjs_get_exception")));
    }
    call("qjs_free_value", value);
  }

  private long hostCall(long[] args) {
    Memory memory = instance.memory();
    String name =
        new String(memory.readBytes((int) args[0], (int) args[1]), StandardCharsets.UTF_8);
    if (!name.equals(HOST_FUNCTION) || args[3] < 2) {
      return call("qjs_new_string", cString(""), 0);
    }
    int argv = (int) args[4];
    String op = string(memory.readInt(argv));
    String request = string(memory.readInt(argv + 4));
    charge.accept(instance, op.length() + (long) request.length());
    byte[] answer = requests.handle(op, CapsuleJson.readTree(request));
    charge.accept(instance, answer.length);
    return call("qjs_new_string", bytes(answer), answer.length);
  }

  private String exceptionText(int value) {
    return string(value);
  }

  private String string(int value) {
    return string(value, Integer.MAX_VALUE);
  }

  /** The value as text, of which at most {@code maxBytes} are read out of the guest. */
  private String string(int value, int maxBytes) {
    int lenPtr = call("wasm_malloc", 4);
    int cstr = call("qjs_get_string_len", value, lenPtr);
    if (cstr == 0) {
      return "<not a string>";
    }
    int len = Math.min(instance.memory().readInt(lenPtr), maxBytes);
    String text = new String(instance.memory().readBytes(cstr, len), StandardCharsets.UTF_8);
    call("qjs_free_cstring", cstr);
    call("wasm_free", lenPtr);
    return text;
  }

  private int cString(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return bytes(bytes);
  }

  /** Copies {@code bytes} and a terminating NUL into guest memory (never freed: a run is short). */
  private int bytes(byte[] bytes) {
    int ptr = call("wasm_malloc", bytes.length + 1);
    instance.memory().write(ptr, bytes);
    instance.memory().writeByte(ptr + bytes.length, (byte) 0);
    return ptr;
  }

  private int call(String export, long... args) {
    long[] result = instance.export(export).apply(args);
    return result == null || result.length == 0 ? 0 : (int) result[0];
  }

  /** The SDK prelude's text: part of a snapshot's identity. */
  public static String prelude() {
    return PRELUDE;
  }

  private static String resource(String name) {
    try (InputStream in = QuickJsSession.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
