package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.sandbox.GuestScript;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The container image prepares both interpreters at build (no Docker engine here: the Dockerfile is
 * parsed): its build stage runs {@code capsule prepare} for Python and JavaScript into one cache
 * directory, in the JVM alone (no node or npm installed: the preparation must not need them), and
 * the run stage copies that directory, owned by the user the containers run as, and points {@code
 * CAPSULE_CACHE_DIR} at it.
 */
class DockerfilePreparationTest {
  private static final Path DOCKERFILE = Path.of("..", "deploy", "Dockerfile");
  private static final String MAIN = "io.capsule.cli.Main";

  /** One instruction: keyword and its text, continuation lines joined. */
  private record Instruction(String keyword, String text) {}

  /** A stage: its name ({@code AS name}, or its index) and instructions. */
  private record Stage(String name, List<Instruction> instructions) {}

  @Test
  void theImagePreparesPythonAndJavascriptAtBuildAndShipsTheCache() throws IOException {
    checkPreparesAtBuild(Files.readString(DOCKERFILE));
  }

  @Test
  void theCheckFailsForAnImageThatSkipsAStepOrLosesTheCache() throws IOException {
    String dockerfile = Files.readString(DOCKERFILE);
    for (String broken :
        List.of(
            dockerfile.replace("prepare python", "--version"),
            dockerfile.replace("prepare javascript", "--version"),
            dockerfile.replace(
                "FROM eclipse-temurin:17-jdk AS build",
                "FROM eclipse-temurin:17-jdk AS build\nRUN apt-get install -y nodejs npm"),
            dockerfile.replace("--chown=10001:10001 /var/lib/capsule/cache/", "/tmp/"),
            dockerfile.replace("ENV CAPSULE_CACHE_DIR=", "ENV UNUSED="))) {
      assertThatThrownBy(() -> checkPreparesAtBuild(broken)).isInstanceOf(AssertionError.class);
    }
  }

  private static void checkPreparesAtBuild(String dockerfile) {
    List<Stage> stages = stages(dockerfile);
    assertThat(stages).hasSizeGreaterThanOrEqualTo(2);
    Stage build = stages.get(0);
    Stage run = stages.get(stages.size() - 1);
    Set<GuestScript.Language> prepared = EnumSet.noneOf(GuestScript.Language.class);
    String cacheDir = null;
    boolean nodeInstalled = false;
    for (Instruction step : build.instructions()) {
      if (!step.keyword().equals("RUN")) {
        continue;
      }
      for (String command : step.text().split("&&")) {
        List<String> words = words(command);
        nodeInstalled |=
            words.contains("install") && (words.contains("nodejs") || words.contains("npm"));
        int main = words.indexOf(MAIN);
        if (main >= 0 && words.size() > main + 1 && words.get(main + 1).equals("prepare")) {
          assertThat(nodeInstalled).as("node or npm installed before " + command).isFalse();
          CommandLine.ParseResult parsed = parse(words.subList(main + 1, words.size()));
          var prepare = (PrepareCommand) parsed.subcommand().commandSpec().userObject();
          assertThat(prepare.cacheDir).as("--cache-dir of " + command).isNotNull();
          assertThat(cacheDir == null || cacheDir.equals(prepare.cacheDir.toString()))
              .as("one cache directory")
              .isTrue();
          cacheDir = prepare.cacheDir.toString();
          prepare.languages.forEach(l -> prepared.add(language(l)));
        }
      }
    }
    assertThat(prepared).as("languages prepared at build").containsExactlyInAnyOrder(all());
    assertShipped(run, build.name(), cacheDir);
  }

  /** The run stage copies the prepared cache, owned by its user, and uses it. */
  private static void assertShipped(Stage run, String buildStage, String cacheDir) {
    String user = null;
    boolean copied = false;
    boolean used = false;
    for (Instruction step : run.instructions()) {
      List<String> words = words(step.text());
      switch (step.keyword()) {
        case "USER" -> user = words.get(0).split(":")[0];
        case "ENV" -> used |= words.contains("CAPSULE_CACHE_DIR=" + cacheDir);
        case "COPY" ->
            copied |=
                words.contains("--from=" + buildStage)
                    && words.contains("--chown=10001:10001")
                    && strip(words.get(words.size() - 2)).equals(cacheDir)
                    && strip(words.get(words.size() - 1)).equals(cacheDir);
        default -> {}
      }
    }
    assertThat(copied).as("the run stage copies " + cacheDir + " with --chown").isTrue();
    assertThat(user).as("the containers run as the cache's owner").isEqualTo("10001");
    assertThat(used).as("CAPSULE_CACHE_DIR points at the prepared cache").isTrue();
  }

  private static GuestScript.Language[] all() {
    return GuestScript.Language.values();
  }

  private static CommandLine.ParseResult parse(List<String> args) {
    return Main.commandLine().parseArgs(args.toArray(String[]::new));
  }

  private static GuestScript.Language language(String name) {
    return name.startsWith("py") ? GuestScript.Language.PYTHON : GuestScript.Language.JAVASCRIPT;
  }

  private static String strip(String path) {
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  private static List<String> words(String text) {
    return Arrays.stream(text.trim().split("\\s+"))
        .map(w -> w.replace("\"", ""))
        .filter(w -> !w.isEmpty())
        .toList();
  }

  private static List<Stage> stages(String dockerfile) {
    List<Stage> stages = new ArrayList<>();
    List<Instruction> current = null;
    StringBuilder pending = new StringBuilder();
    for (String line : dockerfile.split("\n")) {
      if (pending.isEmpty() && (line.isBlank() || line.stripLeading().startsWith("#"))) {
        continue;
      }
      if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      String whole = pending.append(line).toString().trim();
      pending.setLength(0);
      String keyword = whole.split("\\s+", 2)[0].toUpperCase(java.util.Locale.ROOT);
      String text = whole.substring(keyword.length()).trim();
      if (keyword.equals("FROM")) {
        List<String> words = words(text);
        String name = words.size() == 3 ? words.get(2) : String.valueOf(stages.size());
        current = new ArrayList<>();
        stages.add(new Stage(name, current));
      } else if (current != null) {
        current.add(new Instruction(keyword, text));
      }
    }
    return stages;
  }
}
