package io.capsule.sandbox.internal.lang;

import io.capsule.protocol.Durations;
import io.capsule.protocol.InternalException;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.Sha256;
import io.capsule.sandbox.internal.AtomicFiles;
import io.capsule.sandbox.internal.CacheUse;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * TypeScript task files to JavaScript with the TypeScript compiler itself ({@code
 * ts.transpileModule}: every syntax TypeScript has, enums, namespaces, parameter properties, {@code
 * x!} and decorators included, no type checking). The npm package {@code typescript} is fetched on
 * first use, pinned by version and verified against the tarball's SHA-256, kept under the cache's
 * {@code tools/}, and runs on Node.js; each file's JavaScript is cached by the SHA-256 of its
 * source under {@code typescript/}, so a file is compiled once (about 0.3 s).
 *
 * <p>Where Node.js or the package cannot be had, {@link #toJavaScript} falls back to {@link
 * TypeScriptStripper} (annotations, interfaces, type aliases, casts) with one warning.
 */
public final class TypeScriptCompiler {
  /** The pinned package. */
  public static final String NPM_SPEC = "typescript@5.9.3";

  private static final String TARBALL_SHA256 =
      "10e108c9cf7d5f2879053dff18515fb405abf2ccef63eaaf017d9c571687a1d3";
  private static final String ENTRY = "package/lib/typescript.js";
  private static final String ENTRY_SHA256 =
      "3ae902c92cc44dace175c0e69e13a4b0899f6983c6121d76b9ab8dd5795e7675";

  /** How long one compile may take by default (the default preparation timeout): 60 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  /** The largest source compiled: 4 MiB (UTF-8). */
  public static final int MAX_SOURCE_BYTES = 4 << 20;

  /**
   * Reads the source file, transpiles it, writes the output file; diagnostics on stdout, exit 2.
   */
  private static final String RUNNER =
      """
      const fs = require("fs");
      const ts = require(process.argv[2]);
      const source = fs.readFileSync(process.argv[3], "utf8");
      const out = ts.transpileModule(source, {
        fileName: "task.ts",
        reportDiagnostics: true,
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      });
      const errors = (out.diagnostics || []).filter(d => d.category === ts.DiagnosticCategory.Error);
      if (errors.length > 0) {
        for (const d of errors) {
          const where = d.file && d.start !== undefined
            ? d.file.getLineAndCharacterOfPosition(d.start) : null;
          const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
          console.log(where ? `line ${where.line + 1}: ${text}` : text);
        }
        process.exit(2);
      }
      fs.writeFileSync(process.argv[4], out.outputText);
      """;

  /** Set after the compiler could not be set up or run: this process strips types from then on. */
  private volatile boolean unavailable;

  private final Path cacheDir;
  private final PrintStream progress;
  private final List<String> node;
  private final Duration timeout;

  /** A compiler keeping its package and outputs under {@code cacheDir}. */
  public TypeScriptCompiler(Path cacheDir, PrintStream progress) {
    this(cacheDir, progress, List.of(NpmFiles.nodeCommand()), DEFAULT_TIMEOUT);
  }

  /**
   * A compiler running {@code node} (the command and its first arguments) for at most {@code
   * timeout} per file.
   */
  public TypeScriptCompiler(
      Path cacheDir, PrintStream progress, List<String> node, Duration timeout) {
    this.cacheDir = cacheDir;
    this.progress = progress;
    this.node = List.copyOf(node);
    this.timeout = timeout;
  }

  /**
   * The JavaScript for a TypeScript task file.
   *
   * @throws InvalidModuleException when TypeScript reports a syntax error, or the source is over
   *     {@link #MAX_SOURCE_BYTES}, or the compiler ran past its timeout (it is then destroyed with
   *     every process it started)
   */
  public String toJavaScript(String fileName, String typescript) {
    int size = typescript.getBytes(StandardCharsets.UTF_8).length;
    if (size > MAX_SOURCE_BYTES) {
      throw new InvalidModuleException(
          fileName + " is " + size + " bytes, over the " + MAX_SOURCE_BYTES + "-byte source limit");
    }
    Path cached =
        cacheDir
            .resolve("typescript")
            .resolve(
                Sha256.hex((NPM_SPEC + "\0" + typescript).getBytes(StandardCharsets.UTF_8))
                    + ".js");
    try {
      if (Files.isRegularFile(cached)) {
        String js = Files.readString(cached);
        CacheUse.markUsed(cached);
        return js;
      }
      if (unavailable) {
        return TypeScriptStripper.strip(typescript);
      }
      String js = transpile(fileName, typescript);
      AtomicFiles.publish(cached, js.getBytes(StandardCharsets.UTF_8));
      return js;
    } catch (IOException | InternalException e) {
      if (!unavailable) {
        unavailable = true;
        progress.println(
            "capsule: warning: TypeScript compiler unavailable ("
                + e.getMessage()
                + "); stripping type annotations only in this process");
      }
      return TypeScriptStripper.strip(typescript);
    }
  }

  private String transpile(String fileName, String typescript) throws IOException {
    Path compiler = compiler();
    Path runner = cacheDir.resolve("tools").resolve("capsule-transpile-ts.cjs");
    if (!Files.isRegularFile(runner) || !Files.readString(runner).equals(RUNNER)) {
      AtomicFiles.publish(runner, RUNNER.getBytes(StandardCharsets.UTF_8));
    }
    Path work = Files.createTempDirectory(cacheDir.resolve("tools"), "ts");
    try {
      Path in = Files.writeString(work.resolve("task.ts"), typescript);
      Path out = work.resolve("task.js");
      var result = ChildProcess.run(command(runner, compiler, in, out), null, timeout);
      if (result.exitCode() == 2) {
        throw new InvalidModuleException(syntaxError(fileName, result.output()));
      }
      if (result.exitCode() != 0 || !Files.isRegularFile(out)) {
        throw new InternalException("the TypeScript compiler failed: " + result.output());
      }
      return Files.readString(out);
    } catch (ChildProcess.TimedOut e) {
      throw new InvalidModuleException(
          fileName
              + ": the TypeScript compiler exceeded its time budget of "
              + Durations.format(timeout)
              + " (stopped)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InternalException("interrupted while compiling TypeScript", e);
    } finally {
      NpmFiles.deleteTree(work);
    }
  }

  /**
   * The compiler's first diagnostic as the other languages name theirs, {@code broken.ts:4:
   * SyntaxError: Unterminated string literal.}, saying how many more there are.
   */
  static String syntaxError(String fileName, String output) {
    List<String> lines = output.strip().lines().filter(l -> !l.isBlank()).toList();
    if (lines.isEmpty()) {
      return fileName + ": SyntaxError";
    }
    var first = LINE.matcher(lines.get(0));
    String where = first.matches() ? fileName + ":" + first.group(1) : fileName;
    String text = first.matches() ? first.group(2) : lines.get(0);
    if (text.length() > GuestError.MAX_TEXT) {
      text = text.substring(0, GuestError.MAX_TEXT - 1) + "…";
    }
    String more = lines.size() > 1 ? " (and " + (lines.size() - 1) + " more)" : "";
    return where + ": SyntaxError: " + text + more;
  }

  private static final java.util.regex.Pattern LINE =
      java.util.regex.Pattern.compile("line (\\d+): (.*)");

  private List<String> command(Path runner, Path compiler, Path in, Path out) {
    List<String> command = new ArrayList<>(node);
    command.addAll(List.of(runner.toString(), compiler.toString(), in.toString(), out.toString()));
    return command;
  }

  private Path compiler() throws IOException {
    Path file = cacheDir.resolve("tools").resolve("typescript-5.9.3.js");
    return NpmFiles.cachedEntry(file, NPM_SPEC, TARBALL_SHA256, ENTRY, ENTRY_SHA256, progress);
  }
}
