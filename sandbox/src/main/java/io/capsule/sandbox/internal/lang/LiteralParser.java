package io.capsule.sandbox.internal.lang;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads the literal options of a task declaration without running the file: Python keyword
 * arguments ({@code name="main", compute="LOW", allowed_files=[{"path": "./d", "mode": "ro"}]}) and
 * JavaScript object literals ({@code {name: "main", maxRetries: 2}}). Strings, numbers, booleans,
 * null/None, lists, tuples and dicts/objects; anything else (a variable, a call) is an error.
 */
final class LiteralParser {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final String text;
  private int pos;

  private LiteralParser(String text, int pos) {
    this.text = text;
    this.pos = pos;
  }

  /** Python keyword arguments from {@code open} (just after the opening parenthesis). */
  static ObjectNode keywordArguments(String text, int open) {
    var p = new LiteralParser(text, open);
    ObjectNode node = JSON.objectNode();
    p.space();
    while (!p.take(')')) {
      String key = p.identifier();
      p.expect('=');
      node.set(key, p.value());
      p.space();
      p.take(',');
      p.space();
    }
    return node;
  }

  /** A JavaScript object literal starting at {@code open} (at or before its brace). */
  static ObjectNode objectLiteral(String text, int open) {
    var p = new LiteralParser(text, open);
    p.space();
    JsonNode value = p.value();
    if (!value.isObject()) {
      throw p.error("an object literal");
    }
    return (ObjectNode) value;
  }

  private JsonNode value() {
    space();
    char c = peek();
    if (c == '"' || c == '\'' || c == '`') {
      return JSON.textNode(string());
    }
    if (c == '[' || c == '(') {
      return list(c == '[' ? ']' : ')');
    }
    if (c == '{') {
      return object();
    }
    if (c == '-' || Character.isDigit(c)) {
      return number();
    }
    String word = identifier();
    return switch (word) {
      case "true", "True" -> JSON.booleanNode(true);
      case "false", "False" -> JSON.booleanNode(false);
      case "null", "None", "undefined" -> JSON.nullNode();
      default -> throw error("a literal value, not " + word);
    };
  }

  private ArrayNode list(char close) {
    pos++;
    ArrayNode list = JSON.arrayNode();
    space();
    while (!take(close)) {
      list.add(value());
      space();
      take(',');
      space();
    }
    return list;
  }

  private ObjectNode object() {
    pos++;
    ObjectNode object = JSON.objectNode();
    space();
    while (!take('}')) {
      char c = peek();
      String key = c == '"' || c == '\'' ? string() : identifier();
      space();
      expect(':');
      object.set(key, value());
      space();
      take(',');
      space();
    }
    return object;
  }

  private JsonNode number() {
    int start = pos;
    pos++;
    while (pos < text.length() && "0123456789._eE+-".indexOf(text.charAt(pos)) >= 0) {
      pos++;
    }
    String digits = text.substring(start, pos).replace("_", "");
    try {
      return JSON.numberNode(Long.parseLong(digits));
    } catch (NumberFormatException e) {
      return JSON.numberNode(Double.parseDouble(digits));
    }
  }

  private String string() {
    char quote = text.charAt(pos++);
    StringBuilder out = new StringBuilder();
    while (pos < text.length() && text.charAt(pos) != quote) {
      char c = text.charAt(pos++);
      if (c == '\\' && pos < text.length()) {
        c = text.charAt(pos++);
        c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
      }
      out.append(c);
    }
    expect(quote);
    return out.toString();
  }

  private String identifier() {
    space();
    int start = pos;
    while (pos < text.length() && Character.isJavaIdentifierPart(text.charAt(pos))) {
      pos++;
    }
    if (start == pos) {
      throw error("a name");
    }
    return text.substring(start, pos);
  }

  private void space() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (Character.isWhitespace(c)) {
        pos++;
      } else if (c == '#' || text.startsWith("//", pos)) {
        while (pos < text.length() && text.charAt(pos) != '\n') {
          pos++;
        }
      } else {
        return;
      }
    }
  }

  private char peek() {
    if (pos >= text.length()) {
      throw error("more text");
    }
    return text.charAt(pos);
  }

  private boolean take(char c) {
    if (pos < text.length() && text.charAt(pos) == c) {
      pos++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    space();
    if (!take(c)) {
      throw error("'" + c + "'");
    }
  }

  private IllegalArgumentException error(String expected) {
    int line = 1;
    for (int i = 0; i < Math.min(pos, text.length()); i++) {
      line += text.charAt(i) == '\n' ? 1 : 0;
    }
    return new IllegalArgumentException("line " + line + ": expected " + expected);
  }
}
