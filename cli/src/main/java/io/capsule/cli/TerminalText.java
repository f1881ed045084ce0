package io.capsule.cli;

/**
 * A guest's text made safe for the user's terminal: control characters (C0 but tab, DEL, C1) are
 * shown as {@code \xNN} instead of being sent on, so a task cannot move the cursor, retitle the
 * window, write the clipboard (OSC 52) or hide lines with escape sequences.
 */
final class TerminalText {
  private TerminalText() {}

  /** {@code text} with every control character but tab written as {@code \xNN}. */
  static String safe(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean control = (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f);
      if (control && out == null) {
        out = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      if (control) {
        out.append(String.format("\\x%02x", (int) c));
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? text : out.toString();
  }
}
