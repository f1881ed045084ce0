package io.capsule.sandbox.internal.lang;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A failure an interpreter's guest SDK reported: the exception's type, one line of its text, and
 * where in the task file it happened. Every field is bounded, whatever the guest sent.
 *
 * @param type the exception's type name ({@code ZeroDivisionError}), or empty when not given
 * @param text one line, {@code TYPE: message}, at most {@value #MAX_TEXT} characters
 * @param file the task file's name, or {@code null} when the failure was not in its code
 * @param line the line in {@code file}, or 0 when not known
 * @param beforeStart whether it came before the task's own work began (while the boot code loaded
 *     the file): then no code of the task's can have sent it
 */
public record GuestError(String type, String text, String file, int line, boolean beforeStart) {
  /** Characters of text kept. */
  public static final int MAX_TEXT = 2000;

  private static final int MAX_NAME = 200;

  /** Bounds every field. */
  public GuestError {
    type = cut(firstLine(type == null ? "" : type), MAX_NAME);
    text = firstLine(text == null ? "" : text);
    file = file == null ? null : cut(firstLine(file), MAX_NAME);
    line = file == null ? 0 : Math.max(line, 0);
  }

  /**
   * The error a guest's {@code error} request carries: a string (its text, {@code TYPE: message})
   * or {@code {"type", "text", "file", "line"}}.
   */
  static GuestError of(JsonNode payload, boolean beforeStart) {
    if (!payload.isObject()) {
      String text = payload.asText();
      int colon = text.indexOf(':');
      return new GuestError(colon > 0 ? text.substring(0, colon) : "", text, null, 0, beforeStart);
    }
    JsonNode file = payload.path("file");
    return new GuestError(
        payload.path("type").asText(""),
        payload.path("text").asText(""),
        file.isTextual() ? file.asText() : null,
        payload.path("line").asInt(0),
        beforeStart);
  }

  /** The message for the envelope: {@code hello.py:12: ZeroDivisionError: division by zero}. */
  public String message() {
    return file != null && line > 0 ? file + ":" + line + ": " + text : text;
  }

  /** Whether the guest's parser refused the task file (reported while loading it). */
  public boolean isSyntaxError() {
    return beforeStart
        && (type.equals("SyntaxError")
            || type.equals("IndentationError")
            || type.equals("TabError"));
  }

  /**
   * Whether the interpreter ran out of memory: Python's {@code MemoryError}, QuickJS's {@code
   * InternalError: out of memory}.
   */
  public boolean isOutOfMemory() {
    return type.equals("MemoryError")
        || (type.equals("InternalError") && text.contains("out of memory"));
  }

  private static String firstLine(String text) {
    String stripped = cut(text, MAX_TEXT * 2).strip();
    int newline = stripped.indexOf('\n');
    return cut(newline < 0 ? stripped : stripped.substring(0, newline).strip(), MAX_TEXT);
  }

  private static String cut(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max - 1) + "…";
  }
}
