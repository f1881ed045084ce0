package io.capsule.sandbox.internal.net;

import io.capsule.protocol.TimeoutExceededException;
import io.capsule.sandbox.HttpConfig;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Runs the HTTP requests of one attempt: request document in, response or error document out. Every
 * URL, and every redirect target, is checked against the allowlist before a connection is made;
 * each request is bounded by {@link HttpConfig#requestTimeout()}, the guest's {@code timeout_ms}
 * and the attempt's deadline. When the attempt's deadline is what ran out, the call throws {@link
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
  private final HostRequestLog log = new HostRequestLog();
  private int requests;

  private OutboundHttp(
      HttpTransport transport,
      HostAllowlist allowlist,
      AddressGuard.Resolver resolver,
      Duration taskTimeout,
      long startNanos) {
    this.transport = transport;
    this.config = transport.config();
    this.allowlist = allowlist;
    this.guard =
        config.guardInternalAddresses()
            ? new AddressGuard(allowlist, resolver, config.proxy() == null)
            : null;
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
    return forAttempt(transport, allowedHosts, taskTimeout, InetAddress::getAllByName);
  }

  /** {@link #forAttempt(HttpTransport, List, Duration)} with its own name resolver (tests). */
  static OutboundHttp forAttempt(
      HttpTransport transport,
      List<String> allowedHosts,
      Duration taskTimeout,
      AddressGuard.Resolver resolver) {
    return new OutboundHttp(
        transport, HostAllowlist.of(allowedHosts), resolver, taskTimeout, System.nanoTime());
  }

  /** Every request so far (method, URL, status), for {@code execution.host_requests}. */
  public HostRequestLog log() {
    return log;
  }

  /**
   * Performs one request document.
   *
   * @throws TimeoutExceededException when the attempt's deadline passed during the request
   */
  public HttpReply execute(byte[] requestDocument) {
    if (requests >= config.maxRequests()) {
      return HttpReply.failure(
          new HttpFailure(
              NetworkError.LIMIT_EXCEEDED,
              "more than " + config.maxRequests() + " requests in one attempt"));
    }
    requests++;
    try {
      return follow(parse(requestDocument));
    } catch (HttpFailure failure) {
      return HttpReply.failure(failure);
    }
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
      checkAllowed(request.uri(), redirects > 0);
      HttpResponse<byte[]> response = send(request, deadline);
      log.complete(entry, response.statusCode());
      GuestHttpRequest next = redirect(request, response);
      if (next == null || config.maxRedirects() == 0) {
        return HttpReply.success(response);
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

  private void checkAllowed(URI uri, boolean redirected) {
    if (!allowlist.allows(uri.getHost())) {
      String why =
          (redirected ? "redirect to host '" : "host '")
              + uri.getHost()
              + "' refused: not in allowed_hosts";
      log.deny(why);
      throw new HttpFailure(NetworkError.HOST_DENIED, why);
    }
    String refusal = guard == null ? null : guard.refusal(uri.getHost());
    if (refusal != null) {
      String why = redirected ? "redirect: " + refusal : refusal;
      log.deny(why);
      throw new HttpFailure(NetworkError.HOST_DENIED, why);
    }
  }

  private HttpResponse<byte[]> send(GuestHttpRequest request, long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw timedOut(deadline);
    }
    CompletableFuture<HttpResponse<byte[]>> pending =
        transport
            .client()
            .sendAsync(build(request, left), CappedBody.handler(config.maxResponseBytes()));
    try {
      return pending.get(left, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      pending.cancel(true);
      throw timedOut(deadline);
    } catch (InterruptedException e) {
      pending.cancel(true);
      Thread.currentThread().interrupt();
      throw new HttpFailure(NetworkError.NETWORK_ERROR, "interrupted: the task is being stopped");
    } catch (ExecutionException e) {
      throw failure(e.getCause(), deadline);
    }
  }

  private RuntimeException timedOut(long deadline) {
    if (deadline >= taskDeadline) {
      return new TimeoutExceededException(taskTimeout);
    }
    return new HttpFailure(NetworkError.TIMEOUT, "no complete response within the request timeout");
  }

  private RuntimeException failure(Throwable thrown, long deadline) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof HttpFailure) {
        return (HttpFailure) t;
      }
      if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
        return new HttpFailure(NetworkError.DNS_FAILURE, "host name did not resolve");
      }
      if (t instanceof HttpTimeoutException) {
        return timedOut(deadline);
      }
    }
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return new HttpFailure(NetworkError.CONNECTION_FAILED, "connection failed: " + text(t));
      }
      if (t instanceof SSLException) {
        return new HttpFailure(NetworkError.NETWORK_ERROR, "TLS failure: " + text(t));
      }
    }
    return new HttpFailure(NetworkError.NETWORK_ERROR, "request failed: " + text(thrown));
  }

  private static String text(Throwable t) {
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  private static HttpRequest build(GuestHttpRequest request, long timeoutNanos) {
    try {
      HttpRequest.Builder builder =
          HttpRequest.newBuilder(request.uri())
              .timeout(Duration.ofNanos(timeoutNanos))
              .method(
                  request.method(),
                  request.body().length == 0
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofByteArray(request.body()));
      request.headers().forEach(h -> builder.header(h.getKey(), h.getValue()));
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new HttpFailure(NetworkError.INVALID_REQUEST, e.getMessage());
    }
  }

  private static GuestHttpRequest redirect(
      GuestHttpRequest request, HttpResponse<byte[]> response) {
    int status = response.statusCode();
    String location = response.headers().firstValue("location").orElse(null);
    if (!REDIRECTS.contains(status) || location == null) {
      return null;
    }
    URI target;
    try {
      target = GuestHttpRequest.checkedUri(request.uri().resolve(location.strip()).toString());
    } catch (IllegalArgumentException | HttpFailure e) {
      throw new HttpFailure(NetworkError.NETWORK_ERROR, "bad redirect location: " + location);
    }
    boolean toGet =
        status == 303 && !request.method().equals("HEAD")
            || (status == 301 || status == 302) && request.method().equals("POST");
    boolean sameHost =
        target
            .getHost()
            .toLowerCase(Locale.ROOT)
            .equals(request.uri().getHost().toLowerCase(Locale.ROOT));
    return request.redirectedTo(target, toGet ? "GET" : request.method(), !toGet, sameHost);
  }
}
