package io.capsule.dispatcher.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The bearer tokens the gateway accepts, each with a {@link TokenScope}. Tokens come from a file
 * (one entry per line; blank lines and lines starting with {@code #} are ignored), from the {@value
 * #ENV} environment variable (comma-separated entries), or are generated for development.
 *
 * <p>An entry is {@code SCOPE:TOKEN} ({@code read:…}, {@code submit:…}, {@code admin:…}) or a bare
 * {@code TOKEN}, which gets the least privilege that still submits: {@link TokenScope#SUBMIT}. An
 * entry whose text before the first {@code :} is not a scope, an empty scope or token, a token
 * shorter than {@value #MIN_LENGTH} characters or with anything but printable ASCII (no spaces, no
 * control characters), and one token listed with two scopes are refused with {@link
 * IllegalArgumentException} naming the entry's place, never its text. Comparison is constant-time.
 */
public final class BearerTokens {
  /** Environment variable holding comma-separated token entries. */
  public static final String ENV = "CAPSULE_GATEWAY_TOKENS";

  /** Shortest token accepted: 16 characters. */
  public static final int MIN_LENGTH = 16;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, TokenScope> tokens;

  private BearerTokens(Map<String, TokenScope> tokens) {
    this.tokens = Map.copyOf(tokens);
  }

  /** Exactly these entries ({@code SCOPE:TOKEN} or a bare {@code TOKEN}, a submit token). */
  public static BearerTokens of(Set<String> entries) {
    Map<String, TokenScope> tokens = new LinkedHashMap<>();
    int n = 0;
    for (String entry : entries) {
      add(tokens, entry, "token entry " + ++n);
    }
    return new BearerTokens(tokens);
  }

  /** One token with one scope. */
  public static BearerTokens of(TokenScope scope, String token) {
    Map<String, TokenScope> tokens = new LinkedHashMap<>();
    add(tokens, scope.wireName() + ":" + token, "the token");
    return new BearerTokens(tokens);
  }

  /** The entries listed in a file, one per line. */
  public static BearerTokens fromFile(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read token file " + file, e);
    }
    Map<String, TokenScope> tokens = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String entry = lines.get(i).strip();
      if (!entry.isEmpty() && !entry.startsWith("#")) {
        add(tokens, entry, "token file " + file + " line " + (i + 1));
      }
    }
    return new BearerTokens(tokens);
  }

  /** The entries of the {@value #ENV} variable in an environment (none when it is unset). */
  public static BearerTokens fromEnvironment(Map<String, String> env) {
    String[] entries = env.getOrDefault(ENV, "").split(",", -1);
    Map<String, TokenScope> tokens = new LinkedHashMap<>();
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].strip();
      if (!entry.isEmpty()) {
        add(tokens, entry, ENV + " entry " + (i + 1));
      }
    }
    return new BearerTokens(tokens);
  }

  /**
   * One fresh random admin token (32 bytes, URL-safe base64), for the operator of a development
   * fleet ({@code capsule up}).
   */
  public static BearerTokens generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return of(TokenScope.ADMIN, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
  }

  /**
   * Both sets of tokens.
   *
   * @throws IllegalArgumentException when a token is in both with different scopes
   */
  public BearerTokens and(BearerTokens other) {
    Map<String, TokenScope> all = new LinkedHashMap<>(tokens);
    other.tokens.forEach((token, scope) -> put(all, token, scope, "a token"));
    return new BearerTokens(all);
  }

  /** Whether there is no token at all. */
  public boolean isEmpty() {
    return tokens.isEmpty();
  }

  /** One of the tokens, without its scope (to print for a development fleet). */
  public String any() {
    return tokens.keySet().iterator().next();
  }

  /** Whether a presented token is one of these, compared in constant time per token. */
  public boolean accepts(String presented) {
    return scopeOf(presented).isPresent();
  }

  /**
   * The scope of a presented token, or empty when it is none of these. Every token is compared, in
   * constant time each, whichever matches.
   */
  public Optional<TokenScope> scopeOf(String presented) {
    if (presented == null) {
      return Optional.empty();
    }
    byte[] given = presented.getBytes(StandardCharsets.UTF_8);
    TokenScope match = null;
    for (Map.Entry<String, TokenScope> token : tokens.entrySet()) {
      if (MessageDigest.isEqual(given, token.getKey().getBytes(StandardCharsets.UTF_8))) {
        match = token.getValue();
      }
    }
    return Optional.ofNullable(match);
  }

  @Override
  public String toString() {
    Map<TokenScope, Integer> counts = new EnumMap<>(TokenScope.class);
    tokens.values().forEach(scope -> counts.merge(scope, 1, Integer::sum));
    return "BearerTokens" + counts; // never the secrets
  }

  private static void add(Map<String, TokenScope> tokens, String entry, String where) {
    int colon = entry.indexOf(':');
    TokenScope scope = TokenScope.SUBMIT;
    String token = entry;
    if (colon >= 0) {
      try {
        scope = TokenScope.fromWire(entry.substring(0, colon));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            where + ": write SCOPE:TOKEN with SCOPE one of " + TokenScope.names(), e);
      }
      token = entry.substring(colon + 1);
    }
    if (token.length() < MIN_LENGTH || !token.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
      throw new IllegalArgumentException(
          where
              + ": a bearer token needs at least "
              + MIN_LENGTH
              + " characters of printable ASCII, no spaces");
    }
    put(tokens, token, scope, where);
  }

  private static void put(
      Map<String, TokenScope> tokens, String token, TokenScope scope, String where) {
    TokenScope before = tokens.putIfAbsent(token, scope);
    if (before != null && before != scope) {
      throw new IllegalArgumentException(
          where
              + ": the same token is listed as "
              + before.wireName()
              + " and "
              + scope.wireName());
    }
  }
}
