package io.capsule.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A project's {@code capsule.toml}: {@code [workflow] name, version, entrypoint} and {@code [tasks]
 * default_compute, default_ram, default_timeout, default_max_retries, default_allowed_files,
 * default_allowed_hosts, default_env_variables}.
 *
 * @param name the workflow name, or {@code null}
 * @param version the workflow version, or {@code null}
 * @param entrypoint the entry file, or {@code null}
 * @param defaults task options every task starts from
 */
public record ProjectConfig(String name, String version, String entrypoint, TaskOptions defaults) {
  /** The file name looked for at the project root. */
  public static final String FILE_NAME = "capsule.toml";

  /** No file: no defaults. */
  public static final ProjectConfig NONE = new ProjectConfig(null, null, null, TaskOptions.NONE);

  private static final TomlMapper TOML = new TomlMapper();

  /** Requires the defaults. */
  public ProjectConfig {
    defaults = defaults == null ? TaskOptions.NONE : defaults;
  }

  /**
   * Loads {@code capsule.toml} from {@code dir}, or {@link #NONE} when there is none.
   *
   * @throws InvalidRequestException naming the file when it cannot be read or a value is invalid
   */
  public static ProjectConfig find(Path dir) {
    Path file = dir.resolve(FILE_NAME);
    return Files.isRegularFile(file) ? load(file) : NONE;
  }

  /**
   * Loads a {@code capsule.toml} file.
   *
   * @throws InvalidRequestException naming the file when it cannot be read or a value is invalid
   */
  public static ProjectConfig load(Path file) {
    try {
      return fromTree(TOML.readTree(file.toFile()));
    } catch (IOException e) {
      throw new InvalidRequestException(file + ": " + firstLine(e.getMessage()), e);
    } catch (CapsuleException e) {
      throw new InvalidRequestException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The {@code [workflow] entrypoint} file, relative to the project root (where {@code
   * capsule.toml} is), or {@code null} when none is set: what {@code capsule run} and {@code
   * capsule build} take when given no file.
   */
  public Path entrypointPath() {
    return entrypoint == null || entrypoint.isBlank() ? null : Path.of(entrypoint);
  }

  /** Parses TOML text (for tests and embedded use). */
  public static ProjectConfig parse(String toml) {
    try {
      return fromTree(TOML.readTree(toml));
    } catch (IOException e) {
      throw new InvalidRequestException("capsule.toml: " + firstLine(e.getMessage()), e);
    }
  }

  private static ProjectConfig fromTree(JsonNode root) {
    JsonNode workflow = root.path("workflow");
    JsonNode tasks = root.path("tasks");
    ObjectNode options = CapsuleJson.mapper().createObjectNode();
    List<String> keys = new ArrayList<>();
    tasks.fieldNames().forEachRemaining(keys::add);
    for (String key : keys) {
      if (!key.startsWith("default_")) {
        throw new InvalidRequestException("unknown key [tasks] " + key);
      }
      options.set(key.substring("default_".length()), tasks.get(key));
    }
    TaskOptions defaults = CapsuleJson.convert(options, TaskOptions.class);
    return new ProjectConfig(
        text(workflow, "name"), text(workflow, "version"), text(workflow, "entrypoint"), defaults);
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
