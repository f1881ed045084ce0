package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * How a request names its module: the bytes inline (base64), or the hex SHA-256 of a module already
 * published to the modules topic. At least one is present; when both are, they must agree.
 *
 * @param inline the module bytes, or {@code null}
 * @param sha256 lower-case hex SHA-256 of the module, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModuleRef(
    @JsonProperty("inline") byte[] inline, @JsonProperty("sha256") String sha256) {

  /** Checks that a module is named and the hash is well formed. */
  public ModuleRef {
    if (inline == null && (sha256 == null || sha256.isBlank())) {
      throw new InvalidRequestException("module needs \"inline\" (base64) or \"sha256\"");
    }
    if (sha256 != null) {
      sha256 = sha256.strip().toLowerCase(Locale.ROOT);
      if (!sha256.matches("[0-9a-f]{64}")) {
        throw new InvalidRequestException("module sha256 must be 64 hex digits");
      }
    }
    if (inline != null && inline.length == 0) {
      throw new InvalidRequestException("inline module is empty");
    }
  }

  /** A module carried inline. */
  public static ModuleRef inline(byte[] wasm) {
    return new ModuleRef(wasm, null);
  }

  /** A module named by hash. */
  public static ModuleRef byHash(String sha256) {
    return new ModuleRef(null, sha256);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModuleRef
        && java.util.Arrays.equals(inline, ((ModuleRef) o).inline)
        && java.util.Objects.equals(sha256, ((ModuleRef) o).sha256);
  }

  @Override
  public int hashCode() {
    return 31 * java.util.Arrays.hashCode(inline) + java.util.Objects.hashCode(sha256);
  }

  @Override
  public String toString() {
    return inline != null
        ? "ModuleRef[inline " + inline.length + " bytes]"
        : "ModuleRef[" + sha256 + "]";
  }
}
