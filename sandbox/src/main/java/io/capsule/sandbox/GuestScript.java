package io.capsule.sandbox;

import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.ScriptRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.internal.lang.TaskDeclarations;
import io.capsule.sandbox.internal.lang.TypeScriptCompiler;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A Python or JavaScript/TypeScript task file to run on an interpreter compiled to WebAssembly.
 *
 * @param language which interpreter runs it
 * @param fileName the file's name, for error messages and stack traces
 * @param source the source to run (TypeScript already compiled to JavaScript)
 * @param tasks the options of each task the file declares, by task name, read from the literal
 *     arguments of its {@code @task(…)} / {@code task({…}, fn)} declarations
 */
public record GuestScript(
    Language language, String fileName, String source, Map<String, TaskOptions> tasks) {
  private static final String MAIN = "main";
  private static final Pattern PY_MAIN =
      Pattern.compile("^(?:async[ \\t]+)?def[ \\t]+main[ \\t]*\\(", Pattern.MULTILINE);
  private static final TypeScriptCompiler TYPESCRIPT =
      new TypeScriptCompiler(SandboxConfig.defaultCacheDir(), System.err);

  /** The interpreters. */
  public enum Language {
    /** CPython 3.12 (WASI). */
    PYTHON,
    /** QuickJS (ES2023); TypeScript is compiled to JavaScript first. */
    JAVASCRIPT;

    /** The interpreter of a task file by its name, or {@code null} when it is not a script's. */
    public static Language ofFile(String fileName) {
      if (!ScriptRef.isScriptFile(fileName)) {
        return null;
      }
      return fileName.endsWith(".py") ? PYTHON : JAVASCRIPT;
    }
  }

  /** Copies the task map. */
  public GuestScript {
    Objects.requireNonNull(language, "language");
    Objects.requireNonNull(source, "source");
    tasks = Map.copyOf(tasks);
  }

  /**
   * Reads a task file's source.
   *
   * @param fileName its name; {@code .ts}/{@code .mts} is compiled to JavaScript by the TypeScript
   *     compiler (on Node.js, cached in the user cache; types only stripped where Node.js is
   *     missing), {@code .py} is Python
   * @throws InvalidModuleException when a task declaration's options are not literals
   */
  public static GuestScript of(String fileName, String text) {
    boolean python = Language.ofFile(fileName) == Language.PYTHON;
    boolean typescript = fileName.endsWith(".ts") || fileName.endsWith(".mts");
    String source = typescript ? TYPESCRIPT.toJavaScript(fileName, text) : text;
    return declared(python ? Language.PYTHON : Language.JAVASCRIPT, fileName, source);
  }

  /**
   * A script as it runs, read back from a built artifact: {@code source} is already JavaScript for
   * a TypeScript {@code fileName}, so it is not compiled again.
   *
   * @throws InvalidModuleException when a task declaration's options are not literals
   */
  public static GuestScript built(String fileName, String source) {
    Language language = Language.ofFile(fileName);
    Objects.requireNonNull(language, "not a script file name: " + fileName);
    return declared(language, fileName, source);
  }

  private static GuestScript declared(Language language, String fileName, String source) {
    try {
      Map<String, TaskOptions> tasks =
          language == Language.PYTHON
              ? TaskDeclarations.python(source)
              : TaskDeclarations.javascript(source);
      return new GuestScript(language, fileName, source, tasks);
    } catch (InvalidRequestException e) {
      // a declared option's value, named by its field (ram: size 'lots' is not understood…)
      throw new InvalidRequestException(fileName + ": task options: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new InvalidModuleException(fileName + ": task options: " + e.getMessage(), e);
    }
  }

  /**
   * The task a call asking for {@code requested} runs, as capsule-run picks it: a task named other
   * than {@code main} is itself; {@code main} (or none) is the file's {@code main} task when it
   * declares one (or, in Python, defines an undecorated top-level {@code main}), else the file's
   * only task; a file with no task leaves {@code main} for the interpreter to report.
   *
   * @throws InvalidRequestException when {@code main} is asked for and the file declares several
   *     tasks and none is {@code main}: the message names them
   */
  public String entryTask(String requested) {
    if (requested != null && !requested.equals(MAIN)) {
      return requested;
    }
    if (tasks.containsKey(MAIN) || tasks.isEmpty() || definesUndecoratedMain()) {
      return MAIN;
    }
    if (tasks.size() == 1) {
      return tasks.keySet().iterator().next();
    }
    throw new InvalidRequestException(
        fileName
            + " declares no task named 'main' and several tasks ("
            + String.join(", ", new TreeSet<>(tasks.keySet()))
            + "): name the one to run (capsule run --task NAME)");
  }

  private boolean definesUndecoratedMain() {
    return language == Language.PYTHON && PY_MAIN.matcher(source).find();
  }

  /** The declared options of task {@code name} (with its name set), or just the name. */
  public TaskOptions optionsOf(String name) {
    TaskOptions declared = tasks.getOrDefault(name, TaskOptions.NONE);
    return declared.toBuilder().name(name).build();
  }
}
