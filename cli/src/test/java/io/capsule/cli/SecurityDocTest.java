package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples of {@code docs/security.md} as written: each {@code ./capsule} line of the checked
 * block runs from the repository root with exactly the variables its line sets (as the daemon runs
 * a caller's command), and its envelope must hold the fields of the {@code # →} line under it.
 */
class SecurityDocTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final String MARKER = "<!-- checked by SecurityDocTest -->";

  @TempDir static Path home;
  private static DaemonSandboxes sandboxes;

  /** One documented command: its variables, its arguments after {@code ./capsule}, its envelope. */
  record Example(Map<String, String> env, List<String> args, JsonNode expected) {}

  @BeforeAll
  static void start() {
    sandboxes = new DaemonSandboxes(home);
  }

  @AfterAll
  static void stop() {
    sandboxes.close();
  }

  @TestFactory
  List<DynamicTest> everyExampleGivesTheEnvelopeItShows() throws IOException {
    List<Example> examples = examples(Files.readString(ROOT.resolve("docs/security.md")));
    assertThat(examples).as("examples in docs/security.md").hasSizeGreaterThanOrEqualTo(6);
    List<DynamicTest> tests = new ArrayList<>();
    for (Example example : examples) {
      tests.add(DynamicTest.dynamicTest(String.join(" ", example.args()), () -> check(example)));
    }
    return tests;
  }

  private static void check(Example example) {
    var out = new StringWriter();
    var err = new StringWriter();
    var cmd = Main.commandLine(LocalContext.forCaller(ROOT, example.env(), sandboxes));
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    cmd.execute(example.args().toArray(String[]::new));
    JsonNode envelope = CapsuleJson.readTree(out.toString());
    assertContains(envelope, example.expected(), err.toString());
  }

  /**
   * Every field of {@code expected} is in {@code actual} with the same value (objects: subsets).
   */
  private static void assertContains(JsonNode actual, JsonNode expected, String context) {
    if (!expected.isObject()) {
      assertThat(actual).as(context).isEqualTo(expected);
      return;
    }
    for (var field : expected.properties()) {
      assertContains(
          actual.path(field.getKey()),
          field.getValue(),
          field.getKey() + " in " + actual + "; stderr: " + context);
    }
  }

  static List<Example> examples(String markdown) {
    int marker = markdown.indexOf(MARKER);
    assertThat(marker).as("the checked block's marker").isNotNegative();
    int start = markdown.indexOf("```sh\n", marker) + "```sh\n".length();
    String block = markdown.substring(start, markdown.indexOf("```", start));
    List<Example> examples = new ArrayList<>();
    List<String> words = null;
    for (String line : block.lines().map(String::strip).toList()) {
      if (line.startsWith("# →")) {
        examples.add(example(words, CapsuleJson.readTree(line.substring(3).strip())));
        words = null;
      } else if (!line.isEmpty() && !line.startsWith("#")) {
        words = shellWords(line);
      }
    }
    return examples;
  }

  private static Example example(List<String> words, JsonNode expected) {
    assertThat(words).as("a command before each expected envelope").isNotNull();
    Map<String, String> env = new LinkedHashMap<>();
    int i = 0;
    while (words.get(i).matches("[A-Z_][A-Z0-9_]*=.*")) {
      String[] pair = words.get(i++).split("=", 2);
      env.put(pair[0], pair[1]);
    }
    assertThat(words.get(i)).isEqualTo("./capsule");
    return new Example(env, List.copyOf(words.subList(i + 1, words.size())), expected);
  }

  /** Splits a line as a POSIX shell does for the forms used here: spaces and single quotes. */
  static List<String> shellWords(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean quoted = false;
    boolean inWord = false;
    for (char c : line.toCharArray()) {
      if (c == '\'') {
        quoted = !quoted;
        inWord = true;
      } else if (c == ' ' && !quoted) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
