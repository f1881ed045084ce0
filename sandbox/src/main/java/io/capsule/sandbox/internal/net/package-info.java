/**
 * Outbound HTTP for guests: the {@code allowed_hosts} allowlist, the bounded HTTP client behind the
 * {@code capsule.http_request} host function, and the record of every request made. Chicory types
 * appear only in {@link io.capsule.sandbox.internal.net.HttpImports}; the rest works on bytes and
 * JSON, so other guest channels (an interpreter shim) can reuse {@link
 * io.capsule.sandbox.internal.net.OutboundHttp} as it is.
 *
 * <p>A request passes, in order: {@code GuestHttpRequest} (document, URL, header injection), {@code
 * TargetHost} (one canonical spelling of the host), {@code HostAllowlist} (the task's rules),
 * {@code AddressGuard} (one lookup; internal addresses only where the operator named them) and
 * {@code Http1Exchange} (a socket to one of the checked addresses, TLS verified against the URL's
 * name, response read by {@code ResponseReader} within bounds). {@code HostRequestLog} keeps
 * method, redacted URL and status.
 */
package io.capsule.sandbox.internal.net;
