package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What a task may reach outside its sandbox. Everything is denied unless listed.
 *
 * @param allowedFiles directories, each read-only or read-write
 * @param allowedHosts outbound HTTP allowlist: {@code *}, {@code example.com} (and subdomains),
 *     {@code *.example.com}
 * @param envVariables names of host environment variables the guest sees
 */
public record Permissions(
    @JsonProperty("allowed_files") List<FileGrant> allowedFiles,
    @JsonProperty("allowed_hosts") List<String> allowedHosts,
    @JsonProperty("env_variables") List<String> envVariables) {

  /** Nothing allowed. */
  public static final Permissions NONE = new Permissions(List.of(), List.of(), List.of());

  /** Copies the lists; {@code null} means none. */
  public Permissions {
    allowedFiles = allowedFiles == null ? List.of() : List.copyOf(allowedFiles);
    allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
    envVariables = envVariables == null ? List.of() : List.copyOf(envVariables);
    for (String name : envVariables) {
      if (name.isBlank() || name.contains("=")) {
        throw new InvalidRequestException("'" + name + "' is not an environment variable name");
      }
    }
  }
}
