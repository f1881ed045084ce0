package io.capsule.sandbox.testing;

import io.capsule.sandbox.WatAssembler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shared test corpus under {@code src/test/resources/corpus}: WAT modules assembled on first
 * use, and prebuilt binaries (C sources and their build scripts sit beside them).
 */
public final class Corpus {
  private static final Map<String, byte[]> ASSEMBLED = new ConcurrentHashMap<>();

  private Corpus() {}

  /** The module {@code corpus/wat/NAME.wat}, assembled. */
  public static byte[] wat(String name) {
    return ASSEMBLED.computeIfAbsent(name, n -> WatAssembler.assemble(watText(n)));
  }

  /** The text of {@code corpus/wat/NAME.wat}. */
  public static String watText(String name) {
    return new String(resource("wat/" + name + ".wat"), StandardCharsets.UTF_8);
  }

  /**
   * The built example {@code sdk/c/examples/NAME.wasm} of the C guest SDK (at the repository root,
   * so the documented example is the one tested).
   */
  public static byte[] sdkExample(String name) {
    Path path = Path.of("..", "sdk", "c", "examples", name + ".wasm");
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The bytes of {@code corpus/PATH}. */
  public static byte[] resource(String path) {
    try (InputStream in = Corpus.class.getResourceAsStream("/corpus/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no corpus file " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
