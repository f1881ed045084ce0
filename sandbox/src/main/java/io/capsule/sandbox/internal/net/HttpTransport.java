package io.capsule.sandbox.internal.net;

import io.capsule.sandbox.HttpConfig;
import java.net.http.HttpClient;

/**
 * The HTTP client a sandbox's tasks share (HTTP/1.1 and HTTP/2, TLS, no automatic redirects: {@link
 * OutboundHttp} follows them itself after checking each target). Built on first use, so a sandbox
 * whose tasks never call out starts no client threads.
 */
public final class HttpTransport {
  private final HttpConfig config;
  private volatile HttpClient client;

  private HttpTransport(HttpConfig config) {
    this.config = config;
  }

  /** A transport with these limits. */
  public static HttpTransport create(HttpConfig config) {
    return new HttpTransport(config);
  }

  HttpConfig config() {
    return config;
  }

  HttpClient client() {
    HttpClient c = client;
    if (c == null) {
      synchronized (this) {
        if (client == null) {
          client = build();
        }
        c = client;
      }
    }
    return c;
  }

  private HttpClient build() {
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_2)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(config.requestTimeout());
    if (config.proxy() != null) {
      builder.proxy(config.proxy());
    }
    return builder.build();
  }
}
