package io.capsule.cli;

import io.capsule.protocol.CapsuleException;
import io.capsule.sandbox.GuestScript;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code capsule prepare python|javascript [--cache-dir DIR]}: the one-time preparation of an
 * interpreter (fetch, compile, start-up snapshot) done ahead of the first task, e.g. while a
 * container image is built, so that the first task starts at once.
 */
@Command(
    name = "prepare",
    mixinStandardHelpOptions = true,
    description =
        "Do the one-time preparation of the Python or JavaScript interpreter now (fetch, compile,"
            + " start-up snapshot) into the cache directory, so the first task starts at once."
            + " Prints each step with its time on stderr; does nothing when already prepared.")
final class PrepareCommand implements Callable<Integer> {
  @Parameters(
      arity = "1..*",
      paramLabel = "LANGUAGE",
      description = "python, javascript (also js, typescript, ts: the same interpreter).")
  List<String> languages;

  @Option(
      names = "--cache-dir",
      paramLabel = "DIR",
      description =
          "The cache directory to prepare (default: -Dcapsule.cache.dir, else $CAPSULE_CACHE_DIR,"
              + " else ~/.cache/capsule).")
  Path cacheDir;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    List<GuestScript.Language> parsed = languages.stream().map(PrepareCommand::language).toList();
    Path dir = (cacheDir != null ? cacheDir : SandboxConfig.defaultCacheDir()).toAbsolutePath();
    try (Sandbox sandbox = Sandbox.create(SandboxConfig.builder().withCacheDir(dir).build())) {
      for (GuestScript.Language language : parsed) {
        prepare(sandbox, language, dir);
      }
      return 0;
    } catch (CapsuleException e) {
      spec.commandLine().getErr().println("capsule: preparation failed: " + e.getMessage());
      return Main.TASK_FAILED;
    }
  }

  private void prepare(Sandbox sandbox, GuestScript.Language language, Path dir) {
    String name = language.name().toLowerCase(Locale.ROOT);
    long start = System.nanoTime();
    boolean made = sandbox.prepareInterpreter(language);
    String took =
        String.format(
            Locale.ROOT, "%.1f s", Duration.ofNanos(System.nanoTime() - start).toMillis() / 1e3);
    spec.commandLine()
        .getOut()
        .println(
            made
                ? name + ": prepared in " + took + " (cache " + dir + ")"
                : name + ": already prepared (cache " + dir + "; checked in " + took + ")");
    spec.commandLine().getOut().flush();
  }

  private static GuestScript.Language language(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "python", "py" -> GuestScript.Language.PYTHON;
      case "javascript", "js", "typescript", "ts" -> GuestScript.Language.JAVASCRIPT;
      default ->
          throw new UsageException(
              "unknown language '" + name + "' (expected python or javascript)");
    };
  }
}
