package io.capsule.sandbox.internal.lang;

import io.capsule.protocol.InternalException;
import io.capsule.protocol.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Package tarballs from the npm registry, downloaded by the JVM itself (no npm client, no Node.js):
 * one HTTPS GET of {@code REGISTRY/NAME/-/BASENAME-VERSION.tgz}, at most {@value
 * #MAX_TARBALL_BYTES} bytes, checked against the SHA-256 pinned in the code before anything reads
 * it. The proxy is the JVM's ({@code https.proxyHost}/{@code https.proxyPort}, {@code
 * http.nonProxyHosts}), else {@code HTTPS_PROXY}/{@code https_proxy} (minus {@code NO_PROXY}
 * hosts), else none. The registry is {@code -Dcapsule.npm.registry}, else {@code
 * $CAPSULE_NPM_REGISTRY}, else {@value #DEFAULT_REGISTRY} (a mirror serves the same bytes: the
 * checksum decides).
 */
final class NpmRegistry {
  /** The public npm registry. */
  static final String DEFAULT_REGISTRY = "https://registry.npmjs.org";

  /** The largest tarball accepted (the pinned ones are 0.6–23 MB). */
  static final long MAX_TARBALL_BYTES = 64L << 20;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

  /** A stalled read fails after this long without a byte. */
  private static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);

  /** The whole download fails after this long (plus at most one stall). */
  private static final Duration DEADLINE = Duration.ofMinutes(10);

  private static final long PROGRESS_EVERY_NANOS = Duration.ofSeconds(2).toNanos();

  private final URI registry;
  private final Map<String, String> environment;
  private final PrintStream progress;

  /**
   * @param registry the registry's base address, e.g. {@value #DEFAULT_REGISTRY}
   * @param environment where {@code HTTPS_PROXY}, {@code NO_PROXY} and their kin are read
   */
  NpmRegistry(URI registry, Map<String, String> environment, PrintStream progress) {
    String scheme = registry.getScheme() == null ? "" : registry.getScheme();
    if (!scheme.equals("https") && !scheme.equals("http") || registry.getHost() == null) {
      throw new InternalException(
          "the npm registry must be an https:// (or http://) address, not '" + registry + "'");
    }
    this.registry = registry;
    this.environment = Map.copyOf(environment);
    this.progress = progress;
  }

  /** The registry this process is configured for (see the class comment). */
  static NpmRegistry configured(PrintStream progress) {
    String base = System.getProperty("capsule.npm.registry");
    if (base == null || base.isBlank()) {
      base = System.getenv().getOrDefault("CAPSULE_NPM_REGISTRY", "");
    }
    URI uri = parse(base.isBlank() ? DEFAULT_REGISTRY : base.strip());
    if (uri == null) {
      throw new InternalException("the npm registry '" + base + "' is not an address");
    }
    return new NpmRegistry(uri, System.getenv(), progress);
  }

  /**
   * The tarball of {@code spec} ({@code name@version}, {@code @scope/name@version}), checked
   * against {@code sha256}.
   *
   * @throws InternalException when it cannot be downloaded (the message says why and what to do),
   *     is larger than {@value #MAX_TARBALL_BYTES} bytes, or does not match its checksum
   */
  byte[] fetchVerified(String spec, String sha256) {
    URI uri = tarballUri(registry, spec);
    progress.println("capsule: downloading " + spec + " from " + uri + " (first use)…");
    byte[] tarball;
    try {
      tarball = download(uri, spec);
    } catch (IOException e) {
      throw new InternalException(
          "cannot download "
              + spec
              + " from "
              + uri
              + " ("
              + e
              + "); check the network, or set a proxy (-Dhttps.proxyHost/-Dhttps.proxyPort or"
              + " HTTPS_PROXY), or a mirror (CAPSULE_NPM_REGISTRY), or prepare the cache on a"
              + " connected machine (capsule prepare)",
          e);
    }
    String actual = Sha256.hex(tarball);
    if (!actual.equals(sha256)) {
      throw new InternalException(
          spec + " from " + uri + " has SHA-256 " + actual + ", expected " + sha256 + "; not used");
    }
    progress.println("capsule: " + spec + " verified (sha256 " + actual.substring(0, 12) + "…)");
    return tarball;
  }

  /** Where the registry serves the tarball of {@code spec}. */
  static URI tarballUri(URI registry, String spec) {
    int at = spec.lastIndexOf('@');
    if (at <= 0) {
      throw new IllegalArgumentException("not name@version: " + spec);
    }
    String name = spec.substring(0, at);
    String version = spec.substring(at + 1);
    String base = name.substring(name.lastIndexOf('/') + 1);
    String root = registry.toString().replaceAll("/+$", "");
    return URI.create(root + "/" + name + "/-/" + base + "-" + version + ".tgz");
  }

  private byte[] download(URI uri, String spec) throws IOException {
    var connection = (HttpURLConnection) uri.toURL().openConnection(proxyFor(uri, environment));
    try {
      connection.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
      connection.setReadTimeout((int) STALL_TIMEOUT.toMillis());
      connection.setRequestProperty("Accept", "application/octet-stream");
      connection.setRequestProperty("User-Agent", "capsule");
      int status = connection.getResponseCode();
      if (status != HttpURLConnection.HTTP_OK) {
        throw new IOException("HTTP " + status);
      }
      long length = connection.getContentLengthLong();
      if (length > MAX_TARBALL_BYTES) {
        throw tooLarge(length);
      }
      try (InputStream in = connection.getInputStream()) {
        return readBounded(in, length, spec);
      }
    } finally {
      connection.disconnect();
    }
  }

  /** Reads {@code in} to its end, refusing more than {@value #MAX_TARBALL_BYTES} bytes. */
  private byte[] readBounded(InputStream in, long announced, String spec) throws IOException {
    long start = System.nanoTime();
    long lastReport = start;
    var out = new ByteArrayOutputStream(announced > 0 ? (int) announced : 1 << 20);
    byte[] buffer = new byte[1 << 16];
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      if (out.size() + (long) n > MAX_TARBALL_BYTES) {
        throw tooLarge(out.size() + (long) n);
      }
      out.write(buffer, 0, n);
      long now = System.nanoTime();
      if (now - start > DEADLINE.toNanos()) {
        throw new IOException("not finished within " + DEADLINE.toMinutes() + " minutes");
      }
      if (now - lastReport > PROGRESS_EVERY_NANOS) {
        lastReport = now;
        progress.println("capsule:   " + spec + ": " + megabytes(out.size(), announced));
      }
    }
    if (announced >= 0 && out.size() != announced) {
      throw new IOException("got " + out.size() + " of " + announced + " bytes");
    }
    return out.toByteArray();
  }

  private static String megabytes(long done, long total) {
    return total > 0
        ? String.format(Locale.ROOT, "%.1f of %.1f MB", done / 1e6, total / 1e6)
        : String.format(Locale.ROOT, "%.1f MB", done / 1e6);
  }

  private static IOException tooLarge(long bytes) {
    return new IOException(
        "the tarball is " + bytes + "+ bytes, over the limit of " + MAX_TARBALL_BYTES);
  }

  /**
   * The proxy for {@code uri}: the JVM's (its system properties, through the default {@link
   * ProxySelector}), else {@code SCHEME_PROXY}/{@code scheme_proxy} from {@code environment} unless
   * {@code NO_PROXY}/{@code no_proxy} names the host (or a domain it is in, or {@code *}), else
   * none.
   */
  static Proxy proxyFor(URI uri, Map<String, String> environment) {
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (System.getProperty(scheme + ".proxyHost") != null) {
      ProxySelector jvm = ProxySelector.getDefault();
      List<Proxy> proxies = jvm == null ? List.of() : jvm.select(uri);
      return proxies.isEmpty() ? Proxy.NO_PROXY : proxies.get(0);
    }
    String value = variable(environment, scheme + "_proxy");
    if (value == null || bypasses(uri.getHost(), variable(environment, "no_proxy"))) {
      return Proxy.NO_PROXY;
    }
    URI proxy = parse(value.contains("://") ? value : "http://" + value);
    if (proxy == null || proxy.getHost() == null) {
      throw new InternalException(
          scheme.toUpperCase(Locale.ROOT) + "_PROXY is not a proxy address: " + value);
    }
    int port =
        proxy.getPort() != -1 ? proxy.getPort() : "https".equals(proxy.getScheme()) ? 443 : 80;
    return new Proxy(Proxy.Type.HTTP, new InetSocketAddress(proxy.getHost(), port));
  }

  private static URI parse(String value) {
    try {
      return new URI(value);
    } catch (java.net.URISyntaxException e) {
      return null;
    }
  }

  /** {@code name} in lower case, else in upper case; {@code null} when unset or blank. */
  private static String variable(Map<String, String> environment, String name) {
    String value = environment.get(name);
    if (value == null || value.isBlank()) {
      value = environment.get(name.toUpperCase(Locale.ROOT));
    }
    return value == null || value.isBlank() ? null : value.strip();
  }

  private static boolean bypasses(String host, String noProxy) {
    if (noProxy == null || host == null) {
      return false;
    }
    String h = host.toLowerCase(Locale.ROOT);
    for (String entry : noProxy.split(",")) {
      String e = entry.strip().toLowerCase(Locale.ROOT).replaceFirst("^\\*?\\.", "");
      if (e.equals("*") || h.equals(e) || (!e.isEmpty() && h.endsWith("." + e))) {
        return true;
      }
    }
    return false;
  }
}
