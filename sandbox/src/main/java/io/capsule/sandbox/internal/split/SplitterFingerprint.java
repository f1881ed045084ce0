package io.capsule.sandbox.internal.split;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * A SHA-256 over the splitter's own class files, so that a module cached after splitting is split
 * again whenever the splitter changes (the instrumented-module cache fingerprints only the fuel
 * instrumenter's package).
 */
final class SplitterFingerprint {
  private static final List<Class<?>> CLASSES =
      List.of(
          AddedTypes.class,
          BlockType.class,
          BodyParser.class,
          BodyWriter.class,
          Candidate.class,
          ExitSlots.class,
          FunctionLocals.class,
          FunctionSplit.class,
          FunctionSplitter.class,
          Glue.class,
          Immediates.class,
          Label.class,
          ModuleTypes.class,
          MovedRegion.class,
          Node.class,
          Nodes.class,
          Opcodes.class,
          RegionFinder.class,
          RegionShape.class,
          SplitReport.class,
          StackEffects.class,
          ValueCodes.class,
          LocalUses.class,
          NodeSpans.class,
          Dispatch.class);

  private static final String VALUE = compute();

  private SplitterFingerprint() {}

  static String value() {
    return VALUE;
  }

  private static String compute() {
    try {
      MessageDigest digest = io.capsule.protocol.Sha256.digest();
      for (Class<?> top : CLASSES) {
        for (Class<?> cls : top.getNestMembers()) {
          String resource = cls.getName().replace('.', '/') + ".class";
          digest.update(resource.getBytes(StandardCharsets.UTF_8));
          try (InputStream in = cls.getClassLoader().getResourceAsStream(resource)) {
            if (in != null) {
              digest.update(in.readAllBytes());
            }
          }
        }
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fingerprint the function splitter", e);
    }
  }
}
