package io.capsule.sandbox.internal.wasi;

import io.capsule.protocol.InvalidRequestException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What one run's WASI layer is given. Immutable; build with {@link #builder()}.
 *
 * <p>Defaults: no arguments, no environment, empty stdin, stdout and stderr discarded, no mounts.
 */
public final class WasiConfig {
  private final List<String> arguments;
  private final Map<String, String> environment;
  private final byte[] stdin;
  private final OutputStream stdout;
  private final OutputStream stderr;
  private final List<Mount> mounts;

  private WasiConfig(Builder builder) {
    this.arguments = List.copyOf(builder.arguments);
    this.environment = Map.copyOf(builder.environment);
    this.stdin = builder.stdin.clone();
    this.stdout = builder.stdout;
    this.stderr = builder.stderr;
    this.mounts = List.copyOf(builder.mounts);
  }

  /** Starts a configuration with the defaults above. */
  public static Builder builder() {
    return new Builder();
  }

  /** The guest's argv, {@code argv[0]} included. */
  public List<String> arguments() {
    return arguments;
  }

  /** The variables the guest sees, already filtered (see {@link GuestEnvironment}). */
  public Map<String, String> environment() {
    return environment;
  }

  /** A copy of the bytes the guest reads from stdin. */
  public byte[] stdin() {
    return stdin.clone();
  }

  /** Where the guest's stdout goes (bound it, e.g. with {@link BoundedOutput#forStdout()}). */
  public OutputStream stdout() {
    return stdout;
  }

  /** Where the guest's stderr goes (bound it, e.g. with {@link BoundedOutput#forStderr()}). */
  public OutputStream stderr() {
    return stderr;
  }

  /** The directories the guest may reach, preopened in this order from fd 3. */
  public List<Mount> mounts() {
    return mounts;
  }

  /** Builds a {@link WasiConfig}; each setter validates at once. */
  public static final class Builder {
    private List<String> arguments = List.of();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private byte[] stdin = new byte[0];
    private OutputStream stdout = OutputStream.nullOutputStream();
    private OutputStream stderr = OutputStream.nullOutputStream();
    private final List<Mount> mounts = new ArrayList<>();

    private Builder() {}

    /** Sets argv, {@code argv[0]} included. */
    public Builder withArguments(List<String> arguments) {
      this.arguments = List.copyOf(arguments);
      return this;
    }

    /** Adds variables the guest sees; names must be non-empty and free of {@code =}. */
    public Builder withEnvironment(Map<String, String> environment) {
      environment.forEach(
          (name, value) -> {
            if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
              throw new InvalidRequestException("invalid environment variable name: " + name);
            }
            this.environment.put(name, Objects.requireNonNull(value, name));
          });
      return this;
    }

    /** Sets the bytes the guest reads from stdin. */
    public Builder withStdin(byte[] stdin) {
      this.stdin = stdin.clone();
      return this;
    }

    /** Sets where stdout goes. */
    public Builder withStdout(OutputStream stdout) {
      this.stdout = Objects.requireNonNull(stdout, "stdout");
      return this;
    }

    /** Sets where stderr goes. */
    public Builder withStderr(OutputStream stderr) {
      this.stderr = Objects.requireNonNull(stderr, "stderr");
      return this;
    }

    /** Adds a mount. */
    public Builder withMount(Mount mount) {
      mounts.add(Objects.requireNonNull(mount, "mount"));
      return this;
    }

    /** Adds mounts. */
    public Builder withMounts(List<Mount> mounts) {
      mounts.forEach(this::withMount);
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @throws InvalidRequestException when two mounts share a guest path
     */
    public WasiConfig build() {
      Set<String> seen = new HashSet<>();
      for (Mount mount : mounts) {
        if (!seen.add(canonicalGuestPath(mount.guestPath()))) {
          throw new InvalidRequestException("two mounts at guest path " + mount.guestPath());
        }
      }
      return new WasiConfig(this);
    }

    /** The form wasi-libc matches on: leading {@code ./} and {@code /}, trailing {@code /} off. */
    private static String canonicalGuestPath(String guestPath) {
      String p = guestPath.replaceAll("^(\\./|/)+", "").replaceAll("/+$", "");
      return p.isEmpty() || p.equals(".") ? "." : p;
    }
  }
}
