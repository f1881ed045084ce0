/*
 * capsule.h — the `capsule` host imports of Capsule guest ABI v1, for C and C++ guests compiled
 * to WASI preview1 (clang --target=wasm32-wasi). See docs/guest-abi.md for the whole ABI.
 *
 * Every import is optional: a module links only what it declares and calls. All pointers are
 * offsets into the guest's own linear memory; a pointer/length outside it traps (like WASI).
 * Header-only, no state: include it in any number of files.
 */
#ifndef CAPSULE_H
#define CAPSULE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CAPSULE_IMPORT(name) __attribute__((import_module("capsule"), import_name(name)))

/*
 * Sets the task's result to the JSON text at ptr (len bytes, UTF-8), instead of stdout. The last
 * call wins. Text that is not JSON becomes a JSON string. At most 16 MiB, else the task traps.
 */
CAPSULE_IMPORT("set_result") void capsule_set_result(const void *ptr, size_t len);

/* Appends one line (a newline is added when missing) to the task's captured logs. */
CAPSULE_IMPORT("log") void capsule_log(const char *ptr, size_t len);

/*
 * Performs one outbound HTTP(S) request.
 *
 * req/req_len: a UTF-8 JSON request document
 *   {"method": "GET", "url": "https://api.example.com/x",
 *    "headers": {"accept": "application/json"},
 *    "body": "text"  -or-  "body_base64": "AAEC",
 *    "timeout_ms": 5000}
 * Only "url" is required (http or https; no user:password@). Host, Connection, Content-Length and
 * other hop-by-hop headers are set by the host and dropped from "headers".
 *
 * On return *handle and *len name the answer document (read it with capsule_http_response_read):
 *   return 0:        {"status": 200, "url": "<final url>", "headers": {"content-type": "…"},
 *                     "body": "<UTF-8 text>"}   ("body_base64" instead when not UTF-8)
 *                    Any HTTP status (404, 500 …) is a response, not an error.
 *   return < 0:      {"error": {"type": "host_denied", "code": -2, "message": "…"}}
 *                    (handle 0 / len 0 only for CAPSULE_ERR_LIMIT when too many answers are
 *                    unread)
 *
 * The URL's host and every redirect target are checked against the task's allowed_hosts before
 * any connection; redirects (up to 5) are followed by the host. The request is bounded by the
 * task's remaining timeout: when that runs out the task ends as `timeout` and this call does not
 * return. Every request is recorded in execution.host_requests as {method, url, status}.
 */
CAPSULE_IMPORT("http_request")
int32_t capsule_http_request(const char *req, size_t req_len, uint32_t *handle, uint32_t *len);

/*
 * Copies up to buf_len bytes of the answer document `handle` into buf, releases the handle, and
 * returns the document's full length (so a return > buf_len means it was cut short), or
 * CAPSULE_ERR_BAD_HANDLE. buf_len 0 just releases it.
 */
CAPSULE_IMPORT("http_response_read")
int32_t capsule_http_response_read(uint32_t handle, void *buf, size_t buf_len);

/* Error codes of capsule_http_request (stable across ABI v1). */
#define CAPSULE_OK 0
#define CAPSULE_ERR_INVALID_REQUEST (-1)   /* bad JSON, URL, scheme, method or header */
#define CAPSULE_ERR_HOST_DENIED (-2)       /* host or redirect target not in allowed_hosts */
#define CAPSULE_ERR_DNS (-3)               /* host name did not resolve */
#define CAPSULE_ERR_CONNECT (-4)           /* connection refused or unreachable */
#define CAPSULE_ERR_TIMEOUT (-5)           /* no complete response within timeout_ms / 30 s */
#define CAPSULE_ERR_TOO_LARGE (-6)         /* response body over the cap (10 MiB by default) */
#define CAPSULE_ERR_LIMIT (-7)             /* too many requests, unread answers or redirects */
#define CAPSULE_ERR_NETWORK (-8)           /* any other network or TLS failure */
#define CAPSULE_ERR_BAD_HANDLE (-9)        /* capsule_http_response_read: unknown handle */

/*
 * Convenience: performs a request and returns its answer document as a NUL-terminated malloc'd
 * string in *doc (free it), its length in *doc_len. Returns what capsule_http_request returned;
 * *doc is NULL only when there is no document or malloc failed.
 */
static inline int32_t capsule_http(const char *req, size_t req_len, char **doc, size_t *doc_len) {
  uint32_t handle = 0, len = 0;
  int32_t code = capsule_http_request(req, req_len, &handle, &len);
  *doc = NULL;
  *doc_len = 0;
  if (handle == 0) {
    return code;
  }
  char *buf = (char *)malloc((size_t)len + 1);
  if (buf == NULL) {
    capsule_http_response_read(handle, NULL, 0);
    return code;
  }
  capsule_http_response_read(handle, buf, len);
  buf[len] = '\0';
  *doc = buf;
  *doc_len = len;
  return code;
}

#ifdef __cplusplus
}
#endif

#endif /* CAPSULE_H */
