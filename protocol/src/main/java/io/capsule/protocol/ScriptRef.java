package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * A Python or JavaScript/TypeScript task file carried by a request instead of a module: the worker
 * runs it on the matching interpreter (CPython 3.12 WASI or QuickJS), which it fetches and caches
 * itself. The source travels inline, or as the hex SHA-256 of its UTF-8 bytes already published to
 * the modules topic.
 *
 * @param language {@code python}, {@code javascript} or {@code typescript}; derived from the file
 *     name when absent, and must agree with it when given
 * @param fileName the file's name ({@code .py}, {@code .js}, {@code .mjs}, {@code .ts}, {@code
 *     .mts}): it picks the interpreter and names the file in tracebacks
 * @param source the source text, or {@code null}
 * @param sha256 lower-case hex SHA-256 of the source on the modules topic, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ScriptRef(
    @JsonProperty("language") String language,
    @JsonProperty("file_name") String fileName,
    @JsonProperty("source") String source,
    @JsonProperty("sha256") String sha256) {

  /** Checks the file name, the language and that a source is named. */
  public ScriptRef {
    if (fileName == null || fileName.isBlank() || fileName.contains("/")) {
      throw new InvalidRequestException("script needs a \"file_name\" such as task.py (no path)");
    }
    String derived = languageOf(fileName);
    if (derived == null) {
      throw new InvalidRequestException(
          "script file_name '" + fileName + "' must end with .py, .js, .mjs, .ts or .mts");
    }
    if (language != null && !derived.equals(language.strip().toLowerCase(Locale.ROOT))) {
      throw new InvalidRequestException(
          "script language '" + language + "' does not match file_name '" + fileName + "'");
    }
    language = derived;
    if (source == null && (sha256 == null || sha256.isBlank())) {
      throw new InvalidRequestException("script needs \"source\" or \"sha256\"");
    }
    if (source != null && source.isBlank()) {
      throw new InvalidRequestException("script source is empty");
    }
    if (sha256 != null) {
      sha256 = sha256.strip().toLowerCase(Locale.ROOT);
      if (!sha256.matches("[0-9a-f]{64}")) {
        throw new InvalidRequestException("script sha256 must be 64 hex digits");
      }
    }
  }

  /** A script carried inline. */
  public static ScriptRef inline(String fileName, String source) {
    return new ScriptRef(null, fileName, source, null);
  }

  /** A script named by the SHA-256 of its source on the modules topic. */
  public static ScriptRef byHash(String fileName, String sha256) {
    return new ScriptRef(null, fileName, null, sha256);
  }

  /** Whether a file name is one of a script's ({@code .py}, {@code .js}, {@code .ts}, …). */
  public static boolean isScriptFile(String fileName) {
    return languageOf(fileName) != null;
  }

  private static String languageOf(String fileName) {
    String name = fileName.toLowerCase(Locale.ROOT);
    if (name.endsWith(".py")) {
      return "python";
    }
    if (name.endsWith(".js") || name.endsWith(".mjs")) {
      return "javascript";
    }
    if (name.endsWith(".ts") || name.endsWith(".mts")) {
      return "typescript";
    }
    return null;
  }

  @Override
  public String toString() {
    return "ScriptRef["
        + fileName
        + (source != null ? ", " + source.length() + " chars inline]" : ", " + sha256 + "]");
  }
}
