package io.capsule.sandbox.internal.net;

import io.capsule.sandbox.HttpConfig;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * What a sandbox's tasks share for outbound HTTP: the limits, the operator's private hosts (checked
 * here once, so a bad entry fails when the sandbox is created) and the daemon threads on which
 * {@link Http1Exchange}s run while the guest's thread waits with a deadline. Redirects are never
 * followed here: {@link OutboundHttp} follows them itself after checking each target. Threads are
 * started on first use, so a sandbox whose tasks never call out starts none.
 */
public final class HttpTransport {
  private final HttpConfig config;
  private final SSLContext tls;
  private final ExecutorService exchanges;

  private HttpTransport(HttpConfig config, SSLContext tls) {
    this(config, tls, newExchangeThreads());
  }

  private HttpTransport(HttpConfig config, SSLContext tls, ExecutorService exchanges) {
    this.config = config;
    this.tls = tls;
    this.exchanges = exchanges;
  }

  private static ExecutorService newExchangeThreads() {
    AtomicInteger count = new AtomicInteger();
    return Executors.newCachedThreadPool(
        task -> {
          Thread thread = new Thread(task, "capsule-http-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
  }

  /**
   * This transport with the hosts an operator's ceiling names literally opened as well (they are
   * the operator's word, like {@link HttpConfig#privateHosts()}), sharing threads and TLS. Wildcard
   * entries open nothing internal.
   */
  public HttpTransport withOperatorHosts(List<String> ceilingHosts) {
    if (ceilingHosts == null) {
      return this;
    }
    List<String> opened = new ArrayList<>(config.privateHosts());
    for (String host : ceilingHosts) {
      if (!host.contains("*") && !opened.contains(host)) {
        opened.add(host);
      }
    }
    if (opened.size() == config.privateHosts().size()) {
      return this;
    }
    HttpConfig widened =
        new HttpConfig(
            config.maxResponseBytes(),
            config.maxRequests(),
            config.maxRedirects(),
            config.maxPendingResponses(),
            config.requestTimeout(),
            config.proxy(),
            config.guardInternalAddresses(),
            opened);
    return new HttpTransport(widened, tls, exchanges);
  }

  /**
   * A transport with these limits.
   *
   * @throws IllegalArgumentException when a private host is not a valid host name or IP literal
   */
  public static HttpTransport create(HttpConfig config) {
    return create(config, null);
  }

  /** {@link #create(HttpConfig)} trusting what {@code tls} trusts ({@code null}: the JVM's). */
  static HttpTransport create(HttpConfig config, SSLContext tls) {
    for (String host : config.privateHosts()) {
      try {
        TargetHost.parse(host);
      } catch (HttpFailure invalid) {
        throw new IllegalArgumentException(
            "private host '" + host + "': " + invalid.getMessage(), invalid);
      }
    }
    return new HttpTransport(config, tls);
  }

  HttpConfig config() {
    return config;
  }

  /** The address guard of one attempt, resolving with {@code resolver}. */
  AddressGuard guard(AddressGuard.Resolver resolver) {
    return new AddressGuard(config.privateHosts(), resolver, config.guardInternalAddresses());
  }

  /**
   * The HTTP proxy {@code uri} goes through, or {@code null} to connect directly.
   *
   * @throws HttpFailure when the configured selector picks a SOCKS proxy (not supported)
   */
  InetSocketAddress proxyFor(URI uri) {
    ProxySelector selector = config.proxy() != null ? config.proxy() : ProxySelector.getDefault();
    List<Proxy> proxies = selector == null ? List.of() : selector.select(uri);
    Proxy proxy = proxies.isEmpty() ? Proxy.NO_PROXY : proxies.get(0);
    if (proxy.type() == Proxy.Type.DIRECT) {
      return null;
    }
    if (proxy.type() != Proxy.Type.HTTP || !(proxy.address() instanceof InetSocketAddress)) {
      throw new HttpFailure(NetworkError.NETWORK_ERROR, "only HTTP proxies are supported");
    }
    return (InetSocketAddress) proxy.address();
  }

  /** The TLS context connections use (by default the JVM's, with its trust store). */
  SSLContext tls() {
    if (tls != null) {
      return tls;
    }
    try {
      return SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      throw new HttpFailure(NetworkError.NETWORK_ERROR, "TLS is not available");
    }
  }

  /** Runs an exchange on a transport thread. */
  Future<HttpResult> start(Http1Exchange exchange) {
    return exchanges.submit(exchange::run);
  }
}
