package io.capsule.dispatcher.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The bearer tokens the gateway accepts. Tokens come from a file (one per line; blank lines and
 * lines starting with {@code #} are ignored), from the {@value #ENV} environment variable
 * (comma-separated), or are generated for development. Comparison is constant-time.
 */
public final class BearerTokens {
  /** Environment variable holding comma-separated tokens. */
  public static final String ENV = "CAPSULE_GATEWAY_TOKENS";

  /** Shortest token accepted: 16 characters. */
  public static final int MIN_LENGTH = 16;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Set<String> tokens;

  private BearerTokens(Set<String> tokens) {
    for (String token : tokens) {
      if (token.length() < MIN_LENGTH || token.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            "a bearer token needs at least " + MIN_LENGTH + " characters and no spaces");
      }
    }
    this.tokens = Set.copyOf(tokens);
  }

  /** Exactly these tokens. */
  public static BearerTokens of(Set<String> tokens) {
    return new BearerTokens(tokens);
  }

  /** The tokens listed in a file, one per line. */
  public static BearerTokens fromFile(Path file) {
    try {
      Set<String> tokens = new LinkedHashSet<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String token = line.strip();
        if (!token.isEmpty() && !token.startsWith("#")) {
          tokens.add(token);
        }
      }
      return new BearerTokens(tokens);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read token file " + file, e);
    }
  }

  /** The tokens of the {@value #ENV} variable in an environment (none when it is unset). */
  public static BearerTokens fromEnvironment(Map<String, String> env) {
    String value = env.getOrDefault(ENV, "");
    Set<String> tokens = new LinkedHashSet<>();
    Arrays.stream(value.split(","))
        .map(String::strip)
        .filter(t -> !t.isEmpty())
        .forEach(tokens::add);
    return new BearerTokens(tokens);
  }

  /** One fresh random token (32 bytes, URL-safe base64), for development fleets. */
  public static BearerTokens generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return new BearerTokens(Set.of(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)));
  }

  /** Both sets of tokens. */
  public BearerTokens and(BearerTokens other) {
    Set<String> all = new LinkedHashSet<>(tokens);
    all.addAll(other.tokens);
    return new BearerTokens(all);
  }

  /** Whether there is no token at all. */
  public boolean isEmpty() {
    return tokens.isEmpty();
  }

  /** One of the tokens (to print for a development fleet). */
  public String any() {
    return tokens.iterator().next();
  }

  /** Whether a presented token is one of these, compared in constant time per token. */
  public boolean accepts(String presented) {
    if (presented == null) {
      return false;
    }
    byte[] given = presented.getBytes(StandardCharsets.UTF_8);
    boolean match = false;
    for (String token : tokens) {
      match |= MessageDigest.isEqual(given, token.getBytes(StandardCharsets.UTF_8));
    }
    return match;
  }

  @Override
  public String toString() {
    return "BearerTokens[" + tokens.size() + " tokens]"; // never the secrets
  }
}
