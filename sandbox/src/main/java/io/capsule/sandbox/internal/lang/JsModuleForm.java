package io.capsule.sandbox.internal.lang;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites an ES module's static imports and exports into a plain script for QuickJS's global
 * evaluation: {@code import {task} from "@capsule-run/sdk"} takes the SDK object, {@code import fs
 * from "fs/promises"} the sandbox's shim; other modules fail with a clear error when the file runs.
 * {@code export} keywords are dropped (tasks register themselves by name).
 */
public final class JsModuleForm {
  private static final Pattern IMPORT =
      Pattern.compile(
          "(?m)^[ \\t]*import\\s+(?:(\\*\\s+as\\s+[\\w$]+)|([\\w$]+)|\\{([^}]*)\\})\\s+from\\s+(['\"])([^'\"]+)\\4\\s*;?");
  private static final Pattern BARE_IMPORT =
      Pattern.compile("(?m)^[ \\t]*import\\s+(['\"])([^'\"]+)\\1\\s*;?");
  private static final Pattern EXPORT_LIST =
      Pattern.compile("(?m)^[ \\t]*export\\s*\\{[^}]*\\}\\s*;?");
  private static final Pattern EXPORT_DEFAULT =
      Pattern.compile("(?m)^([ \\t]*)export\\s+default\\s+");
  private static final Pattern EXPORT =
      Pattern.compile("(?m)^([ \\t]*)export\\s+(?=(?:const|let|var|function|async|class)\\b)");

  private JsModuleForm() {}

  /** The script form of {@code module}. */
  public static String script(String module) {
    Matcher m = IMPORT.matcher(module);
    String text =
        m.replaceAll(
            r -> Matcher.quoteReplacement(binding(r.group(1), r.group(2), r.group(3), r.group(5))));
    text =
        BARE_IMPORT
            .matcher(text)
            .replaceAll(
                r -> Matcher.quoteReplacement("__capsule_import(" + quote(r.group(2)) + ");"));
    text = EXPORT_LIST.matcher(text).replaceAll("");
    text = EXPORT_DEFAULT.matcher(text).replaceAll("$1globalThis.__capsule_default = ");
    return EXPORT.matcher(text).replaceAll("$1");
  }

  private static String binding(String star, String name, String names, String module) {
    String source = "__capsule_import(" + quote(module) + ")";
    if (star != null) {
      return "const " + star.replaceFirst("\\*\\s+as\\s+", "") + " = " + source + ";";
    }
    if (name != null) {
      return "const " + name + " = (" + source + ").default || " + source + ";";
    }
    return "const {" + names.replaceAll("\\s+as\\s+", ": ") + "} = " + source + ";";
  }

  private static String quote(String module) {
    return "\"" + module.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
