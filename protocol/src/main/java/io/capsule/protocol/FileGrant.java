package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Objects;

/**
 * One directory a task may use. The guest sees it at {@code guestPath}, which is the path it was
 * given unless mounted elsewhere.
 *
 * @param path the host directory, relative to the working directory (or the worker's files root)
 * @param guestPath where the guest sees it
 * @param readOnly whether every mutating call is refused
 */
public record FileGrant(
    @JsonProperty("path") String path,
    @JsonProperty("guest_path") @JsonInclude(JsonInclude.Include.NON_NULL) String guestPath,
    @JsonProperty("read_only") boolean readOnly) {

  /** Validates the paths; the guest path defaults to the host path as given. */
  public FileGrant {
    if (path == null || path.isBlank()) {
      throw new InvalidRequestException("an allowed file entry needs a path");
    }
    guestPath = guestPath == null || guestPath.isBlank() ? path : guestPath;
  }

  /** The mode word: {@code ro} or {@code rw}. */
  public String mode() {
    return readOnly ? "ro" : "rw";
  }

  /**
   * Parses {@code DIR}, {@code DIR:ro} or {@code DIR:rw} (read-write when no mode is given).
   *
   * @throws InvalidRequestException for an empty path or an unknown mode
   */
  public static FileGrant parse(String text) {
    String t = Objects.requireNonNull(text, "allowed file").strip();
    int colon = t.lastIndexOf(':');
    if (colon > 0) {
      String mode = t.substring(colon + 1).toLowerCase(Locale.ROOT);
      if (mode.equals("ro") || mode.equals("rw")) {
        return new FileGrant(t.substring(0, colon), null, mode.equals("ro"));
      }
    }
    return new FileGrant(t, null, false);
  }

  /**
   * Parses capsule-run's mount form {@code HOST[::GUEST][:ro|:rw]}.
   *
   * @throws InvalidRequestException for an empty host or guest path
   */
  public static FileGrant parseMount(String text) {
    FileGrant plain = parse(text);
    int sep = plain.path().indexOf("::");
    if (sep < 0) {
      return plain;
    }
    String host = plain.path().substring(0, sep);
    String guest = plain.path().substring(sep + 2);
    if (host.isBlank() || guest.isBlank()) {
      throw new InvalidRequestException("mount '" + text + "' needs HOST::GUEST");
    }
    return new FileGrant(host, guest, plain.readOnly());
  }

  /**
   * Reads the JSON forms: {@code "DIR"}, {@code "DIR:ro"}, or {@code {"path": "DIR", "mode": "ro",
   * "guest_path": "/data"}} (capsule-run's {@code "read-only"} and {@code "read-write"} are
   * accepted as mode words too).
   */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static FileGrant fromJson(JsonNode node) {
    if (node.isTextual()) {
      return parse(node.asText());
    }
    if (!node.isObject() || !node.path("path").isTextual()) {
      throw new InvalidRequestException("an allowed file is \"DIR[:ro|:rw]\" or {\"path\": …}");
    }
    String mode = shortMode(node.path("mode").asText("rw").toLowerCase(Locale.ROOT));
    boolean readOnly = node.path("read_only").asBoolean(false) || mode.equals("ro");
    if (!mode.equals("ro") && !mode.equals("rw")) {
      throw new InvalidRequestException("file mode must be ro or rw, not '" + mode + "'");
    }
    String guest = node.hasNonNull("guest_path") ? node.get("guest_path").asText() : null;
    return new FileGrant(node.get("path").asText(), guest, readOnly);
  }

  private static String shortMode(String mode) {
    return switch (mode) {
      case "read-only" -> "ro";
      case "read-write" -> "rw";
      default -> mode;
    };
  }
}
