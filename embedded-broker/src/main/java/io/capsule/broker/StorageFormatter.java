package io.capsule.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.tools.StorageTool;

/**
 * Formats a log directory as {@code kafka-storage format --standalone} does: the node becomes the
 * only voter of a new dynamic KRaft quorum. A directory that is already formatted (it has {@code
 * meta.properties}) is left as it is, so a broker can restart on its own data; {@code
 * --ignore-formatted} would not do, as it still rejects the new random cluster id.
 */
final class StorageFormatter {
  private StorageFormatter() {}

  /**
   * Formats {@code logDir} unless it already is.
   *
   * @throws IllegalStateException with Kafka's output if the tool reports failure
   */
  static void formatIfNeeded(Path logDir, Properties props, String clusterId) {
    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(props, clusterId, true);
    }
  }

  /**
   * Formats {@code logDir} for a node of a static controller quorum ({@code
   * controller.quorum.voters} in {@code props}) unless it already is: every node of one cluster is
   * formatted with the same {@code clusterId}.
   *
   * @throws IllegalStateException with Kafka's output if the tool reports failure
   */
  static void formatVoterIfNeeded(Path logDir, Properties props, String clusterId) {
    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(props, clusterId, false);
    }
  }

  private static void format(Properties props, String clusterId, boolean standalone) {
    Path configFile = writeTemp(props);
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      int exitCode = StorageTool.execute(arguments(configFile, clusterId, standalone), out);
      if (exitCode != 0) {
        throw new IllegalStateException("kafka-storage format failed: " + text(output));
      }
    } finally {
      deleteQuietly(configFile);
    }
  }

  private static String[] arguments(Path configFile, String clusterId, boolean standalone) {
    String[] base = {"format", "--config", configFile.toString(), "--cluster-id", clusterId};
    if (!standalone) {
      return base;
    }
    String[] withStandalone = java.util.Arrays.copyOf(base, base.length + 1);
    withStandalone[base.length] = "--standalone";
    return withStandalone;
  }

  private static String text(ByteArrayOutputStream output) {
    return output.toString(StandardCharsets.UTF_8).strip();
  }

  private static Path writeTemp(Properties props) {
    try {
      Path file = Files.createTempFile("capsule-kafka-", ".properties");
      try (OutputStream out = Files.newOutputStream(file)) {
        props.store(out, "capsule embedded broker");
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the broker configuration", e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A leftover temp properties file holds no secret and is harmless.
    }
  }
}
