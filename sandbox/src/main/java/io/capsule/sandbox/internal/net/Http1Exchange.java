package io.capsule.sandbox.internal.net;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One HTTP/1.1 request on a fresh connection ({@code Connection: close}), made on a plain socket so
 * that it goes to an address already checked by {@link AddressGuard}: the socket connects to that
 * {@link InetAddress} (no lookup here), while the {@code Host} header, TLS SNI and certificate
 * hostname verification ({@code HTTPS} endpoint identification) use the URL's host. {@code
 * java.net.http.HttpClient} on JDK 17 always resolves the URL's host itself and has no resolver
 * hook, which is why this class exists.
 *
 * <p>Through an HTTP proxy, {@code http} is sent as an absolute-form request and {@code https}
 * through a {@code CONNECT} tunnel, TLS still verified end to end. {@link #abort()} closes the
 * connection from another thread, which ends a blocked read at once.
 */
final class Http1Exchange {
  private final GuestHttpRequest request;
  private final TargetHost host;
  private final List<InetAddress> addresses;
  private final InetSocketAddress proxy;
  private final SSLContext tls;
  private final int maxBodyBytes;
  private final long deadline;
  private final HeldBytes held;
  private volatile Socket socket;
  private volatile boolean aborted;

  /**
   * @param addresses the checked addresses to try in order (direct), ignored through a proxy
   * @param proxy the HTTP proxy, or {@code null} to connect directly
   * @param deadline {@link System#nanoTime()} by which the exchange must end
   * @param held what the response body is charged to as it is read
   */
  Http1Exchange(
      GuestHttpRequest request,
      TargetHost host,
      List<InetAddress> addresses,
      InetSocketAddress proxy,
      SSLContext tls,
      int maxBodyBytes,
      long deadline,
      HeldBytes held) {
    this.request = request;
    this.host = host;
    this.addresses = List.copyOf(addresses);
    this.proxy = proxy;
    this.tls = tls;
    this.maxBodyBytes = maxBodyBytes;
    this.deadline = deadline;
    this.held = held;
  }

  /** Sends the request and reads the response; the connection is closed afterwards. */
  HttpResult run() throws IOException {
    try (Socket connection = open()) {
      connection.setSoTimeout(millisLeft());
      OutputStream out = connection.getOutputStream();
      out.write(head());
      out.write(request.body());
      out.flush();
      return new ResponseReader(
              new BufferedInputStream(connection.getInputStream()), maxBodyBytes, held)
          .read(request.method(), request.uri());
    }
  }

  /** Closes the connection; a blocked {@link #run()} then fails. */
  void abort() {
    aborted = true;
    closeQuietly(socket);
  }

  private boolean https() {
    return request.uri().getScheme().equalsIgnoreCase("https");
  }

  private int port() {
    int port = request.uri().getPort();
    return port >= 0 ? port : https() ? 443 : 80;
  }

  private Socket open() throws IOException {
    Socket plain = proxy == null ? direct() : viaProxy();
    return https() ? secure(plain) : plain;
  }

  private Socket direct() throws IOException {
    IOException last = new ConnectException("no address to connect to");
    for (InetAddress address : addresses) {
      try {
        return connect(new InetSocketAddress(address, port()));
      } catch (IOException e) {
        last = e;
        if (aborted) {
          break;
        }
      }
    }
    throw last;
  }

  private Socket viaProxy() throws IOException {
    InetSocketAddress at =
        proxy.isUnresolved()
            ? new InetSocketAddress(proxy.getHostString(), proxy.getPort())
            : proxy;
    Socket s = connect(at);
    if (https()) {
      tunnel(s);
    }
    return s;
  }

  private Socket connect(InetSocketAddress address) throws IOException {
    Socket s = new Socket(Proxy.NO_PROXY); // never a JVM-wide SOCKS proxy: this exact address
    socket = s;
    if (aborted) {
      closeQuietly(s);
      throw new IOException("aborted");
    }
    try {
      s.connect(address, millisLeft());
      return s;
    } catch (IOException e) {
      closeQuietly(s);
      throw e;
    }
  }

  private void tunnel(Socket s) throws IOException {
    String authority = authority();
    String connect = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n";
    s.setSoTimeout(millisLeft());
    s.getOutputStream().write(connect.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
    int status = new ResponseReader(s.getInputStream(), 0).tunnelStatus();
    if (status / 100 != 2) {
      closeQuietly(s);
      throw new ConnectException("the proxy refused the tunnel with status " + status);
    }
  }

  private Socket secure(Socket plain) throws IOException {
    SSLSocket ssl =
        (SSLSocket) tls.getSocketFactory().createSocket(plain, host.canonical(), port(), true);
    socket = ssl;
    SSLParameters parameters = ssl.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
    if (!host.isLiteral()) {
      parameters.setServerNames(List.of(new SNIHostName(host.canonical())));
    }
    parameters.setApplicationProtocols(new String[] {"http/1.1"});
    ssl.setSSLParameters(parameters);
    ssl.setSoTimeout(millisLeft());
    ssl.startHandshake();
    return ssl;
  }

  /** Request line and headers. */
  private byte[] head() {
    URI uri = URI.create(request.uri().toASCIIString());
    String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty()) ? "/" : uri.getRawPath();
    String target = path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    if (proxy != null && !https()) {
      target = "http://" + authority() + target;
    }
    StringBuilder head = new StringBuilder();
    head.append(request.method()).append(' ').append(target).append(" HTTP/1.1\r\n");
    field(head, "Host", authority());
    boolean userAgent = false;
    for (Map.Entry<String, String> h : request.headers()) {
      field(head, h.getKey(), h.getValue());
      userAgent |= h.getKey().equalsIgnoreCase("user-agent");
    }
    if (!userAgent) {
      field(head, "User-Agent", "capsule");
    }
    if (request.body().length > 0 || expectsBody(request.method())) {
      field(head, "Content-Length", Integer.toString(request.body().length));
    }
    field(head, "Connection", "close");
    head.append("\r\n");
    return head.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private String authority() {
    String h = request.uri().getHost();
    int port = request.uri().getPort();
    return port < 0 ? h : h + ":" + port;
  }

  private static boolean expectsBody(String method) {
    return List.of("POST", "PUT", "PATCH").contains(method.toUpperCase(Locale.ROOT));
  }

  private static void field(StringBuilder head, String name, String value) {
    head.append(name).append(": ").append(value).append("\r\n");
  }

  private int millisLeft() throws IOException {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (left <= 0) {
      throw new SocketTimeoutException("deadline passed");
    }
    return (int) Math.min(left, Integer.MAX_VALUE);
  }

  private static void closeQuietly(Socket s) {
    if (s == null) {
      return;
    }
    try {
      s.close();
    } catch (IOException ignored) {
      // closing is all that is wanted
    }
  }
}
