package io.capsule.sandbox.internal.lang;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.capsule.protocol.InvalidModuleException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

class TypeScriptCompilerTest {
  @TempDir Path dir;

  /** A cache directory whose {@code tools} is a file: the compiler cannot be set up there. */
  @Test
  void withoutTheCompilerTypesAreStrippedWithOneWarning() throws IOException {
    Path cache = Files.createDirectories(dir.resolve("cache"));
    Files.writeString(cache.resolve("tools"), "not a directory");
    var log = new ByteArrayOutputStream();
    var compiler =
        new TypeScriptCompiler(cache, new PrintStream(log, true, StandardCharsets.UTF_8));

    String first = compiler.toJavaScript("a.ts", "const n: number = 1;\n");
    String second = compiler.toJavaScript("b.ts", "let s: string = 'x';\n");

    assertThat(first).isEqualTo(TypeScriptStripper.strip("const n: number = 1;\n"));
    assertThat(second).isEqualTo(TypeScriptStripper.strip("let s: string = 'x';\n"));
    assertThat(log.toString(StandardCharsets.UTF_8).lines())
        .singleElement()
        .asString()
        .contains("TypeScript compiler unavailable")
        .contains("stripping type annotations only");
  }

  /** A {@code node} that starts a child and waits for it forever. */
  @Test
  @DisabledOnOs(OS.WINDOWS)
  void aHungNodeIsStoppedAtTheDeadlineWithTheProcessesItStarted() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    Path node = fakeNode("sleep 600 &\necho $! > " + pidFile + "\nwait\n");
    var compiler = compilerRunning(node, Duration.ofMillis(500));

    Throwable failure = failureOf(compiler, "const n: number = 1;\n");

    assertThat(failure)
        .isInstanceOf(InvalidModuleException.class)
        .hasMessage("slow.ts: the TypeScript compiler exceeded its time budget of 500ms (stopped)");
    long child = Long.parseLong(Files.readString(pidFile).strip());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true));
    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)).isEmpty();
  }

  /** A {@code node} that writes without end: the output is drained, not buffered whole. */
  @Test
  @DisabledOnOs(OS.WINDOWS)
  void aNodeThatWritesWithoutEndIsStoppedAtTheDeadline() throws Exception {
    Path node = fakeNode("exec yes 'TypeScript says a lot'\n");
    var compiler = compilerRunning(node, Duration.ofMillis(500));

    assertThat(failureOf(compiler, "let s: string = 'x';\n"))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("exceeded its time budget of 500ms");
    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)).isEmpty();
  }

  @Test
  void sourceOverTheLimitIsRefusedBeforeCompiling() {
    var compiler = new TypeScriptCompiler(dir, System.err);
    String huge = "let s = 1;\n" + " ".repeat(TypeScriptCompiler.MAX_SOURCE_BYTES);

    assertThatThrownBy(() -> compiler.toJavaScript("huge.ts", huge))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining(TypeScriptCompiler.MAX_SOURCE_BYTES + "-byte source limit");
  }

  /** A compiler whose cache already holds the package (a placeholder) and runs {@code node}. */
  private TypeScriptCompiler compilerRunning(Path node, Duration timeout) throws IOException {
    Path cache = Files.createDirectories(dir.resolve("cache"));
    Files.createDirectories(cache.resolve("tools"));
    Files.writeString(cache.resolve("tools").resolve("typescript-5.9.3.js"), "// placeholder\n");
    return new TypeScriptCompiler(cache, System.err, List.of(node.toString()), timeout);
  }

  private Path fakeNode(String body) throws IOException {
    Path script = dir.resolve("node");
    Files.writeString(script, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  /** Compiles on another thread, waiting generously: the old code never returned here. */
  private static Throwable failureOf(TypeScriptCompiler compiler, String source)
      throws InterruptedException {
    var compiling = CompletableFuture.supplyAsync(() -> compiler.toJavaScript("slow.ts", source));
    try {
      compiling.get(60, TimeUnit.SECONDS);
      throw new AssertionError("expected the compile to fail");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the compile did not end at its deadline", e);
    }
  }

  /**
   * A compiler file planted in the cache (Node.js would run it as the host user) is replaced from
   * the npm registry before it runs. Needs Node.js and npm (the first run downloads the package).
   */
  @Test
  void aPlantedCompilerFileNeverRuns() throws Exception {
    Assumptions.assumeTrue(onPath("node") && onPath("npm"), "Node.js and npm are needed");
    Path cache = Files.createDirectories(dir.resolve("cache"));
    Path marker = dir.resolve("host-code-ran");
    Path tools = Files.createDirectories(cache.resolve("tools"));
    String planted =
        "require('fs').writeFileSync("
            + jsString(marker)
            + ", 'ran');\n"
            + "module.exports = { transpileModule: () => ({ outputText: 'planted' }) };\n";
    Files.writeString(tools.resolve("typescript-5.9.3.js"), planted);
    var compiler = new TypeScriptCompiler(cache, new PrintStream(new ByteArrayOutputStream()));

    String js = compiler.toJavaScript("a.ts", "enum E { A }\nconst n: number = E.A;\n");

    assertThat(marker).as("the planted compiler ran").doesNotExist();
    assertThat(js).contains("E[E[\"A\"] = 0] = \"A\"");
  }

  private static String jsString(Path path) {
    return "'" + path.toAbsolutePath().toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static boolean onPath(String command) {
    try {
      Process p = new ProcessBuilder(command, "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Test
  void aSyntaxErrorIsNamedByFileAndLineAndBoundedWhateverTheCompilerPrints() {
    assertThat(
            TypeScriptCompiler.syntaxError(
                "broken.ts", "line 4: Unterminated string literal.\nline 5: ')' expected.\n"))
        .isEqualTo("broken.ts:4: SyntaxError: Unterminated string literal. (and 1 more)");
    String huge = "line 1: " + "z".repeat(1_000_000) + "\n" + "line 2: x\n".repeat(100_000);
    assertThat(TypeScriptCompiler.syntaxError("big.ts", huge))
        .startsWith("big.ts:1: SyntaxError: zzz")
        .endsWith("(and 100000 more)")
        .hasSizeLessThan(GuestError.MAX_TEXT + 100);
  }
}
