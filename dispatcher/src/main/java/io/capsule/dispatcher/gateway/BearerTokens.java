package io.capsule.dispatcher.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The bearer tokens a gateway accepts. Tokens are compared in constant time; an empty set means the
 * gateway runs open (only when asked for explicitly, see {@link #open()}).
 */
public final class BearerTokens {
  /** Environment variable holding comma-separated tokens. */
  public static final String ENV = "CAPSULE_GATEWAY_TOKENS";

  private final List<byte[]> tokens;

  private BearerTokens(List<String> tokens) {
    this.tokens = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
  }

  /**
   * Tokens separated by commas, spaces or new lines.
   *
   * @throws IllegalArgumentException when the text holds none
   */
  public static BearerTokens parse(String text) {
    List<String> tokens =
        Arrays.stream(Objects.requireNonNull(text, "text").split("[,\\s]+"))
            .filter(t -> !t.isBlank())
            .toList();
    if (tokens.isEmpty()) {
      throw new IllegalArgumentException("no bearer token given");
    }
    return new BearerTokens(tokens);
  }

  /** Reads tokens from a file (one a line, or comma-separated; {@code #} starts a comment line). */
  public static BearerTokens read(Path file) {
    try {
      String text =
          Files.readAllLines(file, StandardCharsets.UTF_8).stream()
              .filter(line -> !line.strip().startsWith("#"))
              .reduce("", (a, b) -> a + "\n" + b);
      return parse(text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read token file " + file, e);
    }
  }

  /** No authentication: every request is allowed. */
  public static BearerTokens open() {
    return new BearerTokens(List.of());
  }

  /** A fresh random token (32 hex characters), e.g. for a development gateway. */
  public static String randomToken() {
    byte[] bytes = new byte[16];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** Whether no token is required. */
  public boolean isOpen() {
    return tokens.isEmpty();
  }

  /** Whether an {@code Authorization} header value carries an accepted bearer token. */
  public boolean allows(String authorization) {
    if (isOpen()) {
      return true;
    }
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] given = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    boolean match = false;
    for (byte[] token : tokens) {
      match |= MessageDigest.isEqual(token, given);
    }
    return match;
  }
}
