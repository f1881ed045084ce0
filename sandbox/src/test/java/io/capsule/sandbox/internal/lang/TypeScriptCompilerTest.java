package io.capsule.sandbox.internal.lang;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
