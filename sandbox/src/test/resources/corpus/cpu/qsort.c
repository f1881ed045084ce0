// Quicksort of pseudo-random integers (recursive, branchy).
// Usage: <program> [size]; tests pass a small size, the overhead harness uses the default.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>


static uint32_t state = 12345;

static uint32_t next_random(void) {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

static void sort(int32_t *a, int lo, int hi) {
  while (lo < hi) {
    int32_t pivot = a[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        int32_t t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (j - lo < hi - i) {
      sort(a, lo, j);
      lo = i;
    } else {
      sort(a, i, hi);
      hi = j;
    }
  }
}

int main(int argc, char **argv) {
  int N = argc > 1 ? atoi(argv[1]) : 1000000;
  int32_t *a = malloc(N * sizeof(int32_t));
  for (int i = 0; i < N; i++) a[i] = (int32_t)(next_random() % 1000000);
  sort(a, 0, N - 1);
  uint64_t check = 0;
  for (int i = 0; i < N; i++) {
    if (i > 0 && a[i - 1] > a[i]) {
      printf("{\"program\":\"qsort\",\"sorted\":false}\n");
      return 1;
    }
    check = check * 31 + (uint32_t)a[i];
  }
  printf("{\"program\":\"qsort\",\"n\":%d,\"sorted\":true,\"checksum\":%llu}\n", N,
         (unsigned long long)check);
  free(a);
  return 0;
}
