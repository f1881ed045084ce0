package io.capsule.sandbox.internal.lang;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.TaskOptions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the task declarations of a source file and reads their options, statically: {@code
 * @task(name=…, compute=…)} above a {@code def} in Python, {@code task({name: …}, fn)} in
 * JavaScript. The options must be literals (as in capsule-run's examples).
 */
public final class TaskDeclarations {
  private static final Pattern PY_DECORATOR =
      Pattern.compile("^[ \\t]*@(?:capsule\\.)?task\\b[ \\t]*(\\()?", Pattern.MULTILINE);
  private static final Pattern PY_DEF = Pattern.compile("(?:async\\s+)?def\\s+(\\w+)");
  private static final Pattern JS_TASK = Pattern.compile("\\btask\\s*\\(\\s*\\{");
  private static final Pattern JS_BINDING =
      Pattern.compile("(?:const|let|var)\\s+(\\w+)\\s*=\\s*$");
  private static final Map<String, String> SNAKE =
      Map.of(
          "maxRetries", "max_retries",
          "allowedFiles", "allowed_files",
          "allowedHosts", "allowed_hosts",
          "envVariables", "env_variables");

  private TaskDeclarations() {}

  /** The tasks of a Python file, by name. */
  public static Map<String, TaskOptions> python(String source) {
    Map<String, TaskOptions> tasks = new LinkedHashMap<>();
    Matcher m = PY_DECORATOR.matcher(source);
    while (m.find()) {
      ObjectNode args =
          m.group(1) == null
              ? CapsuleJson.mapper().createObjectNode()
              : LiteralParser.keywordArguments(source, m.end());
      Matcher def = PY_DEF.matcher(source);
      if (!args.hasNonNull("name") && def.find(m.end())) {
        args.put("name", def.group(1));
      }
      add(tasks, args);
    }
    return tasks;
  }

  /** The tasks of a JavaScript file (types stripped), by name. */
  public static Map<String, TaskOptions> javascript(String source) {
    Map<String, TaskOptions> tasks = new LinkedHashMap<>();
    Matcher m = JS_TASK.matcher(source);
    while (m.find()) {
      ObjectNode args = LiteralParser.objectLiteral(source, m.end() - 1);
      Matcher binding =
          JS_BINDING.matcher(source.substring(Math.max(0, m.start() - 80), m.start()));
      if (!args.hasNonNull("name") && binding.find()) {
        args.put("name", binding.group(1));
      }
      add(tasks, args);
    }
    return tasks;
  }

  private static void add(Map<String, TaskOptions> tasks, ObjectNode args) {
    ObjectNode options = CapsuleJson.mapper().createObjectNode();
    for (var e : args.properties()) {
      options.set(SNAKE.getOrDefault(e.getKey(), e.getKey()), e.getValue());
    }
    JsonNode name = options.get("name");
    if (name != null && name.isTextual()) {
      tasks.put(name.asText(), CapsuleJson.convert(options, TaskOptions.class));
    }
  }
}
