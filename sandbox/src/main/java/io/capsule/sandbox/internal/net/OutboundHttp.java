package io.capsule.sandbox.internal.net;

import io.capsule.protocol.MemoryLimitException;
import io.capsule.protocol.TimeoutExceededException;
import io.capsule.sandbox.HttpConfig;
import io.capsule.sandbox.internal.ResourceAccount;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Runs the HTTP requests of one attempt: request document in, response or error document out. For
 * the URL and every redirect target, before anything is sent: the task's allowlist must match the
 * host ({@link HostAllowlist}), then the name is resolved once and every address checked ({@link
 * AddressGuard}: internal hosts only where the operator opened them), and the connection goes to
 * one of exactly those addresses ({@link Http1Exchange}). Credential headers are dropped when a
 * redirect changes scheme, host or port ({@link GuestHttpRequest#redirectedTo}). Each request is
 * bounded by {@link HttpConfig#requestTimeout()}, the guest's {@code timeout_ms} and the attempt's
 * deadline. When the attempt's deadline is what ran out, the call throws {@link
 * TimeoutExceededException} instead of answering, so the task ends as {@code timeout}.
 */
public final class OutboundHttp {
  private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

  private final HttpTransport transport;
  private final HttpConfig config;
  private final HostAllowlist allowlist;
  private final AddressGuard guard;
  private final Duration taskTimeout;
  private final long taskDeadline;
  private final ResourceAccount account;
  private final HostRequestLog log = new HostRequestLog();
  private int requests;

  /** Where one request goes, as checked. */
  private record Destination(
      TargetHost host, InetSocketAddress proxy, List<InetAddress> addresses) {}

  private OutboundHttp(
      HttpTransport transport,
      HostAllowlist allowlist,
      AddressGuard.Resolver resolver,
      Duration taskTimeout,
      long startNanos,
      ResourceAccount account) {
    this.transport = transport;
    this.account = account;
    this.config = transport.config();
    this.allowlist = allowlist;
    this.guard = transport.guard(resolver);
    this.taskTimeout = taskTimeout;
    this.taskDeadline = taskTimeout == null ? Long.MAX_VALUE : startNanos + taskTimeout.toNanos();
  }

  /**
   * The requests of an attempt starting now.
   *
   * @param allowedHosts the task's {@code allowed_hosts}, {@code null} for none
   * @param taskTimeout the task's timeout, {@code null} for none
   */
  public static OutboundHttp forAttempt(
      HttpTransport transport, List<String> allowedHosts, Duration taskTimeout) {
    return forAttempt(transport, allowedHosts, taskTimeout, ResourceAccount.unlimited());
  }

  /**
   * {@link #forAttempt(HttpTransport, List, Duration)} charging the host memory of its requests to
   * {@code account}: each response body as it arrives (given back when the answer is made), and
   * each answer document before it is made, which stays charged: whoever holds the {@link
   * HttpReply} gives it back ({@link ResourceAccount#releaseBuffer}) when it lets go of it.
   */
  public static OutboundHttp forAttempt(
      HttpTransport transport,
      List<String> allowedHosts,
      Duration taskTimeout,
      ResourceAccount account) {
    return new OutboundHttp(
        transport,
        HostAllowlist.of(allowedHosts),
        InetAddress::getAllByName,
        taskTimeout,
        System.nanoTime(),
        account);
  }

  /** {@link #forAttempt(HttpTransport, List, Duration)} with its own name resolver (tests). */
  static OutboundHttp forAttempt(
      HttpTransport transport,
      List<String> allowedHosts,
      Duration taskTimeout,
      AddressGuard.Resolver resolver) {
    return new OutboundHttp(
        transport,
        HostAllowlist.of(allowedHosts),
        resolver,
        taskTimeout,
        System.nanoTime(),
        ResourceAccount.unlimited());
  }

  /** Every request so far (method, redacted URL, status), for {@code execution.host_requests}. */
  public HostRequestLog log() {
    return log;
  }

  /**
   * Performs one request document. The answer's document is charged to the account.
   *
   * @throws TimeoutExceededException when the attempt's deadline passed during the request
   * @throws io.capsule.protocol.MemoryLimitException when the account cannot hold the response
   */
  public HttpReply execute(byte[] requestDocument) {
    if (requests >= config.maxRequests()) {
      return failure(
          new HttpFailure(
              NetworkError.LIMIT_EXCEEDED,
              "more than " + config.maxRequests() + " requests in one attempt"));
    }
    requests++;
    try {
      return follow(parse(requestDocument));
    } catch (HttpFailure failure) {
      return failure(failure);
    }
  }

  /** A failure's answer (a short document, charged once made). */
  private HttpReply failure(HttpFailure failure) {
    HttpReply reply = HttpReply.failure(failure);
    account.chargeBuffer(
        reply.document().length, HttpReply.heldForTheTask(reply.document().length));
    return reply;
  }

  private GuestHttpRequest parse(byte[] document) {
    try {
      return GuestHttpRequest.parse(document);
    } catch (HttpFailure failure) {
      String[] methodAndUrl = GuestHttpRequest.methodAndUrl(document);
      if (methodAndUrl != null) {
        log.begin(methodAndUrl[0], methodAndUrl[1]);
      }
      throw failure;
    }
  }

  private HttpReply follow(GuestHttpRequest first) {
    long deadline = callDeadline(first);
    GuestHttpRequest request = first;
    for (int redirects = 0; ; redirects++) {
      int entry = log.begin(request.method(), request.uri().toString());
      GuestHttpRequest next;
      try (HeldBytes held = new HeldBytes(account)) {
        HttpResult response = send(request, admit(request.uri(), redirects > 0), deadline, held);
        log.complete(entry, response.status());
        next = redirect(request, response);
        if (next == null || config.maxRedirects() == 0) {
          return HttpReply.success(response, held);
        }
      }
      if (redirects >= config.maxRedirects()) {
        throw new HttpFailure(
            NetworkError.LIMIT_EXCEEDED, "more than " + config.maxRedirects() + " redirects");
      }
      request = next;
    }
  }

  private long callDeadline(GuestHttpRequest request) {
    Duration limit = config.requestTimeout();
    if (request.timeout() != null && request.timeout().compareTo(limit) < 0) {
      limit = request.timeout();
    }
    return Math.min(System.nanoTime() + limit.toNanos(), taskDeadline);
  }

  /** Checks {@code uri}'s host and resolves it once; the result is where the request may go. */
  private Destination admit(URI uri, boolean redirected) {
    String prefix = redirected ? "redirect: " : "";
    TargetHost host = TargetHost.parse(uri.getHost());
    if (!allowlist.matches(host)) {
      throw denied(prefix + "host '" + uri.getHost() + "' refused: not in allowed_hosts");
    }
    InetSocketAddress proxy = transport.proxyFor(uri);
    try {
      return new Destination(host, proxy, guard.admit(host, proxy != null));
    } catch (HttpFailure failure) {
      if (failure.error() == NetworkError.HOST_DENIED) {
        throw denied(prefix + failure.getMessage());
      }
      throw failure;
    }
  }

  private HttpFailure denied(String why) {
    log.deny(why);
    return new HttpFailure(NetworkError.HOST_DENIED, why);
  }

  private HttpResult send(GuestHttpRequest request, Destination to, long deadline, HeldBytes held) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw timedOut(deadline);
    }
    Http1Exchange exchange =
        new Http1Exchange(
            request,
            to.host(),
            to.addresses(),
            to.proxy(),
            transport.tls(),
            config.maxResponseBytes(),
            deadline,
            held);
    Future<HttpResult> pending = transport.start(exchange);
    try {
      return pending.get(left, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      stop(exchange, pending);
      throw timedOut(deadline);
    } catch (InterruptedException e) {
      stop(exchange, pending);
      Thread.currentThread().interrupt();
      throw new HttpFailure(NetworkError.NETWORK_ERROR, "interrupted: the task is being stopped");
    } catch (ExecutionException e) {
      throw failure(e.getCause(), deadline);
    }
  }

  private static void stop(Http1Exchange exchange, Future<HttpResult> pending) {
    exchange.abort();
    pending.cancel(true);
  }

  private RuntimeException timedOut(long deadline) {
    if (deadline >= taskDeadline) {
      return new TimeoutExceededException(taskTimeout);
    }
    return new HttpFailure(NetworkError.TIMEOUT, "no complete response within the request timeout");
  }

  private RuntimeException failure(Throwable thrown, long deadline) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof MemoryLimitException) {
        return (MemoryLimitException) t; // the account refused the body: the attempt ends
      }
      if (t instanceof HttpFailure) {
        return (HttpFailure) t;
      }
      if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
        return new HttpFailure(NetworkError.DNS_FAILURE, "host name did not resolve");
      }
      if (t instanceof SocketTimeoutException) {
        return timedOut(deadline);
      }
    }
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
        return new HttpFailure(NetworkError.CONNECTION_FAILED, "connection failed: " + text(t));
      }
      if (t instanceof SSLException) {
        return new HttpFailure(NetworkError.NETWORK_ERROR, "TLS failure: " + text(t));
      }
      if (t instanceof ProtocolException) {
        return new HttpFailure(NetworkError.NETWORK_ERROR, "bad response: " + text(t));
      }
    }
    return new HttpFailure(NetworkError.NETWORK_ERROR, "request failed: " + text(thrown));
  }

  private static String text(Throwable t) {
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  private static GuestHttpRequest redirect(GuestHttpRequest request, HttpResult response) {
    int status = response.status();
    String location = response.first("location").orElse(null);
    if (!REDIRECTS.contains(status) || location == null) {
      return null;
    }
    URI target;
    try {
      target = GuestHttpRequest.checkedUri(request.uri().resolve(location.strip()).toString());
    } catch (IllegalArgumentException | HttpFailure e) {
      throw new HttpFailure(
          NetworkError.NETWORK_ERROR,
          "bad redirect location: " + io.capsule.protocol.HostRequest.redact(location));
    }
    boolean toGet =
        status == 303 && !request.method().equals("HEAD")
            || (status == 301 || status == 302) && request.method().equals("POST");
    return request.redirectedTo(
        target, toGet ? "GET" : request.method(), !toGet, sameOrigin(request.uri(), target));
  }

  /** Same scheme, host (as written, ignoring case) and port: the only case credentials follow. */
  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost().toLowerCase(Locale.ROOT).equals(b.getHost().toLowerCase(Locale.ROOT))
        && port(a) == port(b);
  }

  private static int port(URI uri) {
    return uri.getPort() >= 0
        ? uri.getPort()
        : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
  }
}
