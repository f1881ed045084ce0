/**
 * Outbound HTTP for guests: the {@code allowed_hosts} allowlist, the bounded HTTP client behind the
 * {@code capsule.http_request} host function, and the record of every request made. Chicory types
 * appear only in {@link io.capsule.sandbox.internal.net.HttpImports}; the rest works on bytes and
 * JSON, so other guest channels (an interpreter shim) can reuse {@link
 * io.capsule.sandbox.internal.net.OutboundHttp} as it is.
 */
package io.capsule.sandbox.internal.net;
