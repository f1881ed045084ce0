package io.capsule.cli;

import io.capsule.dispatcher.gateway.BearerTokens;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Authentication of the HTTP gateway: the flags {@code capsule up} and {@code gateway} share. */
final class GatewayFlags {
  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "File of accepted bearer tokens, one a line (default: $"
              + BearerTokens.ENV
              + ", comma-separated).")
  Path tokenFile;

  @Option(
      names = "--no-auth",
      description = "Run the gateway without authentication (only on a trusted network).")
  boolean noAuth;

  /**
   * The tokens the flags or the environment give, or {@code null} when neither does.
   *
   * @throws UsageException when both --no-auth and --token-file are given or the file is unusable
   */
  BearerTokens tokensGiven() {
    if (noAuth && tokenFile != null) {
      throw new UsageException("--no-auth and --token-file exclude each other");
    }
    try {
      if (noAuth) {
        return BearerTokens.open();
      }
      if (tokenFile != null) {
        return BearerTokens.read(tokenFile);
      }
      String env = System.getenv(BearerTokens.ENV);
      return env == null || env.isBlank() ? null : BearerTokens.parse(env);
    } catch (UncheckedIOException e) {
      throw new UsageException(e.getMessage() + ": " + e.getCause().getMessage());
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage() + " in " + tokenFile);
    }
  }
}
