package io.capsule.sandbox.internal.meter;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The WebAssembly spec test suite, as JSON scripts and binary modules: the {@code .wast} files that
 * {@code src/test/spec/fetch-spec-suite.sh} fetches (Debian's Binaryen source package) into {@code
 * target/spec-suite/wast/}, each converted by wabt's {@code wast2json --enable-all} into {@code
 * target/spec-suite/json/<name>/}. Tests that use it are skipped (JUnit assumption) where {@code
 * wast2json} or the download is unavailable.
 */
public final class SpecSuite {
  private static final Path ROOT = Path.of("target", "spec-suite");
  private static final Path FETCH_SCRIPT = Path.of("src", "test", "spec", "fetch-spec-suite.sh");

  private static final Pattern OLD_NAN_ASSERTION =
      Pattern.compile(
          "\\(assert_return_(canonical|arithmetic)_nan (\\(invoke \"(f32|f64)?[^\"]*\".*\\))\\)");

  private static SpecSuite loaded;

  /** The converted scripts, by file name. */
  private final Map<String, Path> scripts;

  /** The files wast2json could not convert, with the first line of its complaint. */
  private final Map<String, String> unconverted;

  private SpecSuite(Map<String, Path> scripts, Map<String, String> unconverted) {
    this.scripts = scripts;
    this.unconverted = unconverted;
  }

  /** Fetches and converts the suite once per JVM; skips the calling test when it cannot. */
  public static synchronized SpecSuite load() {
    if (loaded == null) {
      assumeTrue(commandWorks("wast2json", "--version"), "spec suite: wast2json is not installed");
      String fetchError = fetch();
      assumeTrue(fetchError == null, "spec suite: cannot fetch the .wast files: " + fetchError);
      loaded = convertAll();
    }
    return loaded;
  }

  public Map<String, Path> scripts() {
    return scripts;
  }

  public Map<String, String> unconverted() {
    return unconverted;
  }

  private static String fetch() {
    if (Files.exists(ROOT.resolve("wast").resolve(".complete"))) {
      return null;
    }
    Result result = run(List.of("bash", FETCH_SCRIPT.toString(), ROOT.toString()));
    return result.exitCode() == 0 ? null : result.firstLine();
  }

  private static SpecSuite convertAll() {
    var scripts = new TreeMap<String, Path>();
    var unconverted = new TreeMap<String, String>();
    for (Path wast : wastFiles()) {
      String name = wast.getFileName().toString().replaceFirst("\\.wast$", "");
      Path dir = ROOT.resolve("json").resolve(name);
      Path json = dir.resolve(name + ".json");
      if (!Files.exists(json)) {
        Result result = convert(wast, dir, json);
        if (result.exitCode() != 0) {
          unconverted.put(name, result.firstLine());
          continue;
        }
      }
      scripts.put(name, json);
    }
    return new SpecSuite(scripts, unconverted);
  }

  private static Result convert(Path wast, Path dir, Path json) {
    Path modern = dir.resolve(wast.getFileName());
    try {
      Files.createDirectories(dir);
      Files.writeString(modern, modernize(Files.readString(wast), wast.getFileName().toString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Result result =
        run(List.of("wast2json", "--enable-all", modern.toString(), "-o", json.toString()));
    if (result.exitCode() != 0) {
      try {
        Files.deleteIfExists(json);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return result;
  }

  /**
   * Rewrites the old one-line NaN assertions, {@code (assert_return_canonical_nan (invoke "f32.x"
   * ...))}, which wast2json no longer reads, as {@code (assert_return (invoke ...) (f32.const
   * nan:canonical))}: the type is the function name's prefix, else the file name's. An assertion
   * whose type neither tells is dropped.
   */
  static String modernize(String wast, String fileName) {
    String fileType =
        fileName.startsWith("f32") || fileName.startsWith("f64") ? fileName.substring(0, 3) : null;
    var out = new StringBuilder(wast.length());
    for (String line : wast.split("\n", -1)) {
      Matcher nan = OLD_NAN_ASSERTION.matcher(line.strip());
      if (!nan.matches()) {
        out.append(line).append('\n');
        continue;
      }
      String type = nan.group(3) != null ? nan.group(3) : fileType;
      if (type != null) {
        out.append("(assert_return ")
            .append(nan.group(2))
            .append(" (")
            .append(type)
            .append(".const nan:")
            .append(nan.group(1))
            .append("))\n");
      }
    }
    return out.toString();
  }

  private static List<Path> wastFiles() {
    try (Stream<Path> files = Files.list(ROOT.resolve("wast"))) {
      return files.filter(f -> f.toString().endsWith(".wast")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean commandWorks(String... command) {
    try {
      return run(List.of(command)).exitCode() == 0;
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  private record Result(int exitCode, String output) {
    String firstLine() {
      return output.strip().lines().findFirst().orElse("exit code " + exitCode);
    }
  }

  private static Result run(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new Result(process.waitFor(), output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    }
  }
}
