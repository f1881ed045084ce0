package io.capsule.cli;

import io.capsule.dispatcher.gateway.BearerTokens;
import io.capsule.dispatcher.gateway.GatewayConfig;
import io.capsule.protocol.ByteSize;
import io.capsule.protocol.CapsuleException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** The HTTP gateway's flags, shared by {@code capsule gateway} and {@code capsule up}. */
final class GatewayFlags {
  @Option(
      names = "--gateway-host",
      paramLabel = "HOST",
      defaultValue = "127.0.0.1",
      description = "Interface the gateway binds (0.0.0.0 for all; default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "Bearer tokens the gateway accepts, one per line as SCOPE:TOKEN with SCOPE read,"
              + " submit or admin (a bare TOKEN is a submit token; also:"
              + " $CAPSULE_GATEWAY_TOKENS, comma-separated).")
  Path tokenFile;

  @Option(names = "--no-auth", description = "Serve the gateway without authentication.")
  boolean noAuth;

  @Option(
      names = "--max-request-size",
      paramLabel = "SIZE",
      defaultValue = "16MB",
      description = "Largest request body the gateway accepts (default: ${DEFAULT-VALUE}).")
  String maxRequestSize;

  /** Tokens from the file and the environment (possibly none). */
  BearerTokens configuredTokens(Map<String, String> env) {
    checkExclusive();
    try {
      BearerTokens tokens = BearerTokens.fromEnvironment(env);
      return tokenFile == null ? tokens : tokens.and(BearerTokens.fromFile(tokenFile));
    } catch (UncheckedIOException e) {
      throw new UsageException(e.getMessage() + ": " + e.getCause().getMessage());
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private void checkExclusive() {
    if (noAuth && tokenFile != null) {
      throw new UsageException("--no-auth and --token-file exclude each other");
    }
  }

  /** The config on a port, with these tokens (ignored under {@code --no-auth}). */
  GatewayConfig config(int port, BearerTokens tokens) {
    checkExclusive();
    try {
      GatewayConfig.Builder builder =
          GatewayConfig.builder()
              .withHost(host)
              .withPort(port)
              .withMaxRequestBytes(ByteSize.parse(maxRequestSize).bytes());
      return (noAuth ? builder.withoutAuth() : builder.withTokens(tokens)).build();
    } catch (CapsuleException | IllegalArgumentException | IllegalStateException e) {
      throw new UsageException(e.getMessage());
    }
  }
}
