package io.capsule.sandbox.internal.lang;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fallback of {@link TypeScriptCompiler} where Node.js is missing: turns common TypeScript into
 * JavaScript by blanking its type syntax (kept newlines keep line numbers): annotations on
 * parameters, variables and return types ({@code (a: number, b?: T): string =>}), {@code interface}
 * and {@code type} declarations, {@code import type}, {@code as T} casts and a function's generic
 * parameters. Not handled: enums, namespaces, decorators, parameter properties ({@code
 * constructor(private x: T)}), {@code x!} assertions and generic call arguments ({@code f<T>(x)}).
 * A file that needs them should be compiled to JavaScript first.
 */
public final class TypeScriptStripper {
  private static final Pattern DECLARATION =
      Pattern.compile(
          "(?m)^[ \\t]*(?:export\\s+)?(?:declare\\s+)?(?:interface\\s+\\w+[^{]*\\{|type\\s+\\w+[^=]*=|import\\s+type\\s)");
  private static final Pattern AS_CAST =
      Pattern.compile("\\s+as\\s+(?:const\\b|[A-Za-z_$][\\w$.]*(?:<[^;()]*?>)?(?:\\[\\])*)");
  private static final Pattern FUNCTION_GENERICS =
      Pattern.compile("(function\\s*\\*?\\s*\\w*\\s*)<[^()]*?>\\s*\\(");
  private static final Pattern DECLARED_NAME = Pattern.compile("(?:const|let|var)\\s+[\\w$]+\\s*$");

  private final char[] out;
  private final String src;

  private TypeScriptStripper(String src) {
    this.src = src;
    this.out = src.toCharArray();
  }

  /** The JavaScript for {@code typescript}. */
  public static String strip(String typescript) {
    var s = new TypeScriptStripper(typescript);
    s.declarations();
    s.annotations();
    String text = new String(s.out);
    text = AS_CAST.matcher(text).replaceAll("");
    Matcher generics = FUNCTION_GENERICS.matcher(text);
    return generics.replaceAll(m -> Matcher.quoteReplacement(m.group(1) + "("));
  }

  private void declarations() {
    Matcher m = DECLARATION.matcher(src);
    while (m.find()) {
      if (!code(m.start())) {
        continue;
      }
      int end;
      if (m.group().endsWith("{")) {
        end = closing(m.end() - 1, '{', '}') + 1;
      } else {
        end = typeEnd(m.end(), false);
        end = end < src.length() && src.charAt(end) == ';' ? end + 1 : end;
      }
      blank(m.start(), end);
    }
  }

  /** Blanks {@code : Type} annotations, telling them from object keys and ternaries. */
  private void annotations() {
    Deque<int[]> nesting = new ArrayDeque<>(); // {opening char, pending ternaries}
    nesting.push(new int[] {'{', 0});
    for (int i = 0; i < out.length; i++) {
      int skip = skipNonCode(i);
      if (skip != i) {
        i = skip - 1;
        continue;
      }
      char c = out[i];
      if (c == '(' || c == '{' || c == '[') {
        nesting.push(new int[] {c, 0});
      } else if ((c == ')' || c == '}' || c == ']') && nesting.size() > 1) {
        nesting.pop();
      } else if (c == '?' && next(i + 1) != ':' && next(i + 1) != '.' && next(i + 1) != '?') {
        nesting.peek()[1]++;
      } else if (c == ':') {
        if (nesting.peek()[1] > 0) {
          nesting.peek()[1]--;
        } else if (isAnnotation(i, nesting.peek()[0])) {
          int from = i > 0 && out[prevIndex(i)] == '?' ? prevIndex(i) : i;
          boolean returnType = out[prevIndex(from)] == ')';
          int end = typeEnd(i + 1, returnType);
          blank(from, end);
          i = end - 1;
        }
      }
    }
  }

  private boolean isAnnotation(int colon, int context) {
    int p = prevIndex(colon);
    if (p < 0) {
      return false;
    }
    if (out[p] == '?') {
      p = prevIndex(p);
    }
    char before = out[p];
    if (before == ')') {
      return true;
    }
    boolean operand = Character.isJavaIdentifierPart(before) || before == ']' || before == '}';
    if (!operand) {
      return false;
    }
    if (context == '(') {
      return true;
    }
    return DECLARED_NAME.matcher(new String(out, 0, p + 1)).find();
  }

  /** The end of a type starting at {@code from}. */
  private int typeEnd(int from, boolean returnType) {
    int depth = 0;
    int i = from;
    while (i < out.length && Character.isWhitespace(out[i])) {
      i++;
    }
    for (; i < out.length; i++) {
      char c = out[i];
      if (c == '\'' || c == '"' || c == '`') {
        i = skipNonCode(i) - 1;
      } else if (c == '('
          || c == '['
          || c == '<'
          || (c == '{' && (depth > 0 || startOfType(from, i)))) {
        depth++;
      } else if ((c == ')' || c == ']' || c == '}' || (c == '>' && out[i - 1] != '='))
          && depth > 0) {
        depth--;
      } else if (depth == 0 && ends(i, returnType)) {
        break;
      }
    }
    int end = i;
    while (end > from && Character.isWhitespace(out[end - 1])) {
      end--;
    }
    return end;
  }

  private boolean startOfType(int from, int i) {
    for (int k = from; k < i; k++) {
      if (!Character.isWhitespace(out[k])) {
        return false;
      }
    }
    return true;
  }

  private boolean ends(int i, boolean returnType) {
    char c = out[i];
    if (c == ',' || c == ')' || c == ';' || c == '}' || c == ']' || c == '\n' && returnType) {
      return true;
    }
    if (c == '=' && next(i + 1) == '>') {
      return returnType;
    }
    return c == '=' || (c == '{' && returnType);
  }

  private int closing(int open, char opening, char closing) {
    int depth = 0;
    for (int i = open; i < out.length; i++) {
      i = skipNonCode(i);
      if (i >= out.length) {
        break;
      }
      if (out[i] == opening) {
        depth++;
      } else if (out[i] == closing && --depth == 0) {
        return i;
      }
    }
    return out.length - 1;
  }

  /** The index after a string, template or comment starting at {@code i}, else {@code i}. */
  private int skipNonCode(int i) {
    if (i >= out.length) {
      return i;
    }
    char c = out[i];
    if (c == '\'' || c == '"' || c == '`') {
      int k = i + 1;
      while (k < out.length && out[k] != c) {
        k += out[k] == '\\' ? 2 : 1;
      }
      return Math.min(k + 1, out.length);
    }
    if (c == '/' && next(i + 1) == '/') {
      int k = i;
      while (k < out.length && out[k] != '\n') {
        k++;
      }
      return k;
    }
    if (c == '/' && next(i + 1) == '*') {
      int k = src.indexOf("*/", i + 2);
      return k < 0 ? out.length : k + 2;
    }
    return i;
  }

  private boolean code(int index) {
    for (int i = 0; i < index; i++) {
      int skip = skipNonCode(i);
      if (skip > index) {
        return false;
      }
      i = skip == i ? i : skip - 1;
    }
    return true;
  }

  private char next(int i) {
    return i < out.length ? out[i] : 0;
  }

  private int prevIndex(int i) {
    int p = i - 1;
    while (p >= 0 && Character.isWhitespace(out[p])) {
      p--;
    }
    return p;
  }

  private void blank(int from, int to) {
    for (int i = from; i < to && i < out.length; i++) {
      if (out[i] != '\n') {
        out[i] = ' ';
      }
    }
  }
}
