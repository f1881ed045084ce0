package io.capsule.sandbox.internal.lang;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
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
}
