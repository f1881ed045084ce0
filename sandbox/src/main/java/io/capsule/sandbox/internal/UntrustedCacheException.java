package io.capsule.sandbox.internal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A cache folder or key file that others could have written (or that is not this user's), so
 * nothing in it may be trusted: the caller works as if there were no disk cache.
 */
public final class UntrustedCacheException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path path;

  /** {@code path} is refused for {@code reason}. */
  public UntrustedCacheException(Path path, String reason) {
    super(path + " " + reason);
    this.path = path;
  }

  /** The folder or file refused. */
  public Path path() {
    return path;
  }
}
