/*
 * http_get: GETs the URL given as the task's first argument through capsule.http_request and
 * returns {"status": <HTTP status>, "bytes": <body length>, "body": <body text, when UTF-8 and at
 * most 1 MiB>}. A network failure (denied host, DNS, refused, timeout …) is reported on stderr and
 * the task exits with code 1, so it ends as task_error carrying the error document.
 *
 *   capsule run sdk/c/examples/http_get.wasm https://example.com --allow-host example.com
 *
 * Rebuild (from the repository root; clang 14+ and wasi-libc):
 *   clang --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Werror -Wl,--strip-all -I sdk/c \
 *     sdk/c/examples/http_get.c -o sdk/c/examples/http_get.wasm
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsule.h"

#define MAX_BODY_ECHO (1 << 20)

/* Appends `s` to `out` as a JSON string literal; returns the new end. */
static char *json_string(char *out, const char *s) {
  *out++ = '"';
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      *out++ = '\\';
      *out++ = (char)c;
    } else if (c < 0x20) {
      out += sprintf(out, "\\u%04x", c);
    } else {
      *out++ = (char)c;
    }
  }
  *out++ = '"';
  return out;
}

static unsigned hex4(const char *p) {
  char digits[5] = {p[0], p[1], p[2], p[3], 0};
  return (unsigned)strtoul(digits, NULL, 16);
}

/*
 * `p` points at the opening quote of a JSON string. Returns a pointer just past its closing quote
 * and stores the length of the decoded UTF-8 text in *bytes.
 */
static const char *scan_string(const char *p, size_t *bytes) {
  size_t n = 0;
  for (p++; *p && *p != '"'; p++) {
    if (*p != '\\') {
      n++;
      continue;
    }
    p++;
    if (*p != 'u') {
      n++;
      continue;
    }
    unsigned cp = hex4(p + 1);
    p += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && p[1] == '\\' && p[2] == 'u') {
      n += 4; /* surrogate pair: one 4-byte character */
      p += 6;
    } else {
      n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
    }
  }
  *bytes = n;
  return *p == '"' ? p + 1 : p;
}

/* Decoded length of a base64 string token starting at its opening quote. */
static size_t base64_bytes(const char *p) {
  const char *end = strchr(p + 1, '"');
  size_t chars = end ? (size_t)(end - p - 1) : 0;
  size_t pad = (chars > 0 && p[chars] == '=') + (chars > 1 && p[chars - 1] == '=');
  return chars / 4 * 3 - pad;
}

static int report(const char *doc, size_t doc_len) {
  char *result = malloc(doc_len + 64);
  if (result == NULL) {
    return 1;
  }
  const char *status = strstr(doc, "\"status\":");
  const char *body = strstr(doc, "\"body\":\"");
  const char *body64 = strstr(doc, "\"body_base64\":\"");
  size_t bytes = 0;
  int len = sprintf(result, "{\"status\":%ld", status ? strtol(status + 9, NULL, 10) : 0L);
  if (body) {
    const char *token = body + 7;
    const char *end = scan_string(token, &bytes);
    len += sprintf(result + len, ",\"bytes\":%zu", bytes);
    if (end - token <= MAX_BODY_ECHO) {
      len += sprintf(result + len, ",\"body\":");
      memcpy(result + len, token, (size_t)(end - token));
      len += (int)(end - token);
    }
  } else {
    bytes = body64 ? base64_bytes(body64 + 14) : 0;
    len += sprintf(result + len, ",\"bytes\":%zu", bytes);
  }
  result[len++] = '}';
  capsule_set_result(result, (size_t)len);
  free(result);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: http_get URL\n");
    return 2;
  }
  char *req = malloc(strlen(argv[1]) * 6 + 64);
  if (req == NULL) {
    return 1;
  }
  char *end = json_string(stpcpy(req, "{\"method\":\"GET\",\"url\":"), argv[1]);
  *end++ = '}';
  char *doc;
  size_t doc_len;
  int32_t code = capsule_http(req, (size_t)(end - req), &doc, &doc_len);
  free(req);
  if (code != CAPSULE_OK) {
    fprintf(stderr, "http_request failed (%d): %s\n", (int)code, doc ? doc : "no details");
    free(doc);
    return 1;
  }
  int rc = report(doc, doc_len);
  free(doc);
  return rc;
}
