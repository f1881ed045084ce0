package io.capsule.sandbox.internal.net;

import io.capsule.protocol.HostRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * The outbound requests of one attempt, in order, for {@code execution.host_requests}. A request is
 * entered with status 0 before anything is sent and gets its status when a response arrives, so an
 * attempt that times out mid-request still shows it. Only method, {@code scheme://host[:port]/path}
 * and status are kept ({@link HostRequest} removes userinfo, query and fragment: they carry API
 * keys and tokens), never header values or bodies. Thread-safe: the guest thread writes, the
 * attempt's thread reads.
 */
public final class HostRequestLog {
  private final List<HostRequest> entries = new ArrayList<>();
  private String firstDenial;

  /** Enters a request with status 0 and returns its index. */
  synchronized int begin(String method, String url) {
    entries.add(new HostRequest(method, url, 0));
    return entries.size() - 1;
  }

  /** Sets the status of the request at {@code index}. */
  synchronized void complete(int index, int status) {
    HostRequest entry = entries.get(index);
    entries.set(index, new HostRequest(entry.method(), entry.url(), status));
  }

  /** Notes a request the allowlist refused; the first one is kept. */
  synchronized void deny(String why) {
    if (firstDenial == null) {
      firstDenial = why;
    }
  }

  /** Why the first refused request was refused, if any was. */
  public synchronized java.util.Optional<String> firstDenial() {
    return java.util.Optional.ofNullable(firstDenial);
  }

  /** The requests so far. */
  public synchronized List<HostRequest> requests() {
    return List.copyOf(entries);
  }
}
