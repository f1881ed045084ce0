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
  private final List<Mount> rootMounts;

  private WasiConfig(Builder builder) {
    this.arguments = List.copyOf(builder.arguments);
    this.environment = Map.copyOf(builder.environment);
    this.stdin = builder.stdin.clone();
    this.stdout = builder.stdout;
    this.stderr = builder.stderr;
    this.mounts = List.copyOf(builder.mounts);
    this.rootMounts = builder.rootMounts == null ? null : List.copyOf(builder.rootMounts);
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

  /** Whether a virtual root directory is preopened first (see {@link Builder#withVirtualRoot}). */
  public boolean virtualRoot() {
    return rootMounts != null;
  }

  /** The mounts served under the virtual root (empty without one). */
  public List<Mount> rootMounts() {
    return rootMounts == null ? List.of() : rootMounts;
  }

  /** Builds a {@link WasiConfig}; each setter validates at once. */
  public static final class Builder {
    private List<String> arguments = List.of();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private byte[] stdin = new byte[0];
    private OutputStream stdout = OutputStream.nullOutputStream();
    private OutputStream stderr = OutputStream.nullOutputStream();
    private final List<Mount> mounts = new ArrayList<>();
    private List<Mount> rootMounts;

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
     * Preopens a virtual root directory, guest path {@code /}, at fd 3 (before the plain mounts)
     * and serves {@code rootMounts} under it instead of preopening them: a path under the root
     * reaches the mount whose guest path is its longest prefix, as wasi-libc would pick among
     * preopens, and the rest resolves in that mount under the same rules as a preopened one; a path
     * no mount matches fails with {@code ENOENT}, as wasi-libc fails it. The root itself is an
     * empty, read-only directory.
     *
     * <p>This lets a guest whose preopen table is fixed (a resumed snapshot: wasi-libc reads the
     * table at start-up) reach different directories per run, with the same paths and errors as if
     * they had been preopened.
     */
    public Builder withVirtualRoot(List<Mount> rootMounts) {
      rootMounts.forEach(m -> Objects.requireNonNull(m, "mount"));
      this.rootMounts = List.copyOf(rootMounts);
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @throws InvalidRequestException when two mounts (served under the virtual root or not) share
     *     a guest path, or a plain mount is at {@code /} beside a virtual root
     */
    public WasiConfig build() {
      Set<String> seen = new HashSet<>();
      List<Mount> all = new ArrayList<>(mounts);
      if (rootMounts != null) {
        all.addAll(rootMounts);
        if (mounts.stream().anyMatch(m -> m.guestPath().equals(VirtualRoot.GUEST_PATH))) {
          throw new InvalidRequestException("a mount at / beside the virtual root");
        }
      }
      for (Mount mount : all) {
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
