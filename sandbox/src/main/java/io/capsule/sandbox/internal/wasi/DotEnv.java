package io.capsule.sandbox.internal.wasi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a {@code .env} file the way dotenv tools do.
 *
 * <ul>
 *   <li>{@code KEY=VALUE} per line; blank lines and lines starting with {@code #} are skipped; an
 *       optional {@code export } prefix is ignored;
 *   <li>unquoted values are trimmed and end at a {@code #} preceded by whitespace;
 *   <li>{@code "double"} quotes may span lines and understand {@code \n \r \t \" \\}; {@code
 *       'single'} quotes are literal and may span lines;
 *   <li>a line that is not an assignment, or whose name is not {@code [A-Za-z_][A-Za-z0-9_.]*}, is
 *       skipped; a later assignment of a name wins;
 *   <li>no {@code ${VAR}} expansion: values are taken literally.
 * </ul>
 */
public final class DotEnv {
  /** The file name looked up in a working directory. */
  public static final String FILE_NAME = ".env";

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

  private final String text;
  private int pos;

  private DotEnv(String text) {
    this.text = text;
  }

  /**
   * Parses {@code .env} text.
   *
   * @return the assignments in file order
   */
  public static Map<String, String> parse(String text) {
    return Collections.unmodifiableMap(new DotEnv(text).parseAll());
  }

  /**
   * Loads {@code directory/.env}.
   *
   * @return its assignments, or an empty map when the file does not exist
   * @throws IOException when the file exists but cannot be read
   */
  public static Map<String, String> load(Path directory) throws IOException {
    try {
      return parse(Files.readString(directory.resolve(FILE_NAME), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return Map.of();
    }
  }

  private Map<String, String> parseAll() {
    Map<String, String> values = new LinkedHashMap<>();
    while (pos < text.length()) {
      parseLine(values);
    }
    return values;
  }

  private void parseLine(Map<String, String> values) {
    skipBlanks();
    String name = readName();
    skipBlanks();
    if (name == null || !consume('=')) {
      skipRestOfLine();
      return;
    }
    skipBlanks();
    String value = readValue();
    skipRestOfLine();
    if (value != null) {
      values.put(name, value);
    }
  }

  private String readName() {
    if (text.startsWith("export ", pos) || text.startsWith("export\t", pos)) {
      pos += "export".length();
      skipBlanks();
    }
    int begin = pos;
    while (pos < text.length() && "=\n#".indexOf(text.charAt(pos)) < 0) {
      pos++;
    }
    String name = text.substring(begin, pos).strip();
    return NAME.matcher(name).matches() ? name : null;
  }

  private String readValue() {
    if (consume('"')) {
      return readQuoted('"', true);
    }
    if (consume('\'')) {
      return readQuoted('\'', false);
    }
    return readUnquoted();
  }

  private String readQuoted(char quote, boolean escapes) {
    StringBuilder value = new StringBuilder();
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == quote) {
        return value.toString();
      }
      if (escapes && c == '\\' && pos < text.length()) {
        value.append(unescape(text.charAt(pos++)));
      } else {
        value.append(c);
      }
    }
    return null; // unterminated: dotenv tools skip it
  }

  private static String unescape(char c) {
    switch (c) {
      case 'n':
        return "\n";
      case 'r':
        return "\r";
      case 't':
        return "\t";
      case '"':
      case '\\':
        return String.valueOf(c);
      default:
        return "\\" + c;
    }
  }

  private String readUnquoted() {
    int begin = pos;
    while (pos < text.length() && text.charAt(pos) != '\n' && !atInlineComment(begin)) {
      pos++;
    }
    return text.substring(begin, pos).strip();
  }

  private boolean atInlineComment(int valueStart) {
    return text.charAt(pos) == '#'
        && (pos == valueStart || Character.isWhitespace(text.charAt(pos - 1)));
  }

  private boolean consume(char c) {
    if (pos < text.length() && text.charAt(pos) == c) {
      pos++;
      return true;
    }
    return false;
  }

  private void skipBlanks() {
    while (pos < text.length() && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) {
      pos++;
    }
  }

  private void skipRestOfLine() {
    int newline = text.indexOf('\n', pos);
    pos = newline < 0 ? text.length() : newline + 1;
  }
}
