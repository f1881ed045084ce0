// A small LZ77-style compressor with a hash table of recent positions, plus a round-trip check.
// Usage: <program> [size]; tests pass a small size, the overhead harness uses the default.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_BITS 14
#define MIN_MATCH 4
#define MAX_MATCH 255
#define WINDOW 65535

static uint32_t hash4(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return (v * 2654435761u) >> (32 - HASH_BITS);
}

// Output tokens: 0x00 len byte... (literal run) or 0x01 len offset_lo offset_hi (match).
static size_t compress(const uint8_t *in, size_t n, uint8_t *out) {
  static int32_t table[1 << HASH_BITS];
  for (int i = 0; i < (1 << HASH_BITS); i++) table[i] = -1;
  size_t i = 0, o = 0, lit_start = 0;
  while (i + MIN_MATCH <= n) {
    uint32_t h = hash4(in + i);
    int32_t cand = table[h];
    table[h] = (int32_t)i;
    size_t len = 0;
    if (cand >= 0 && i - (size_t)cand <= WINDOW) {
      while (i + len < n && len < MAX_MATCH && in[cand + len] == in[i + len]) len++;
    }
    if (len >= MIN_MATCH) {
      while (lit_start < i) {
        size_t run = i - lit_start > 255 ? 255 : i - lit_start;
        out[o++] = 0;
        out[o++] = (uint8_t)run;
        memcpy(out + o, in + lit_start, run);
        o += run;
        lit_start += run;
      }
      size_t off = i - (size_t)cand;
      out[o++] = 1;
      out[o++] = (uint8_t)len;
      out[o++] = (uint8_t)off;
      out[o++] = (uint8_t)(off >> 8);
      i += len;
      lit_start = i;
    } else {
      i++;
    }
  }
  while (lit_start < n) {
    size_t run = n - lit_start > 255 ? 255 : n - lit_start;
    out[o++] = 0;
    out[o++] = (uint8_t)run;
    memcpy(out + o, in + lit_start, run);
    o += run;
    lit_start += run;
  }
  return o;
}

static size_t decompress(const uint8_t *in, size_t n, uint8_t *out) {
  size_t i = 0, o = 0;
  while (i < n) {
    if (in[i] == 0) {
      size_t run = in[i + 1];
      memcpy(out + o, in + i + 2, run);
      o += run;
      i += 2 + run;
    } else {
      size_t len = in[i + 1];
      size_t off = in[i + 2] | ((size_t)in[i + 3] << 8);
      for (size_t k = 0; k < len; k++, o++) out[o] = out[o - off];
      i += 4;
    }
  }
  return o;
}

int main(int argc, char **argv) {
  size_t INPUT_SIZE = argc > 1 ? (size_t)atoi(argv[1]) : (size_t)1 << 22;
  uint8_t *input = malloc(INPUT_SIZE);
  uint32_t seed = 7;
  static const char *words[] = {"agent ", "task ", "fuel ", "wasm ", "sandbox ", "kafka ",
                                "result ", "metered "};
  size_t n = 0;
  while (n < INPUT_SIZE) {
    seed = seed * 1103515245u + 12345u;
    const char *w = words[(seed >> 16) % 8];
    size_t len = strlen(w);
    if (n + len > INPUT_SIZE) break;
    memcpy(input + n, w, len);
    n += len;
    if ((seed >> 8) % 7 == 0 && n < INPUT_SIZE) input[n++] = (uint8_t)('0' + (seed >> 20) % 10);
  }
  uint8_t *packed = malloc(INPUT_SIZE * 2);
  uint8_t *unpacked = malloc(INPUT_SIZE);
  size_t packed_size = compress(input, n, packed);
  size_t unpacked_size = decompress(packed, packed_size, unpacked);
  int ok = unpacked_size == n && memcmp(input, unpacked, n) == 0;
  printf("{\"program\":\"lz\",\"input\":%zu,\"compressed\":%zu,\"roundtrip\":%s}\n", n,
         packed_size, ok ? "true" : "false");
  return ok ? 0 : 1;
}
