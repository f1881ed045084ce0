// Dense double-precision matrix multiplication (nested loops, memory-bound inner loop).
// Usage: <program> [size]; tests pass a small size, the overhead harness uses the default.
#include <stdio.h>
#include <stdlib.h>


int main(int argc, char **argv) {
  int N = argc > 1 ? atoi(argv[1]) : 300;
  double *a = malloc(N * N * sizeof(double));
  double *b = malloc(N * N * sizeof(double));
  double *c = calloc(N * N, sizeof(double));
  for (int i = 0; i < N * N; i++) {
    a[i] = (double)(i % 17) * 0.5;
    b[i] = (double)(i % 13) * 0.25;
  }
  for (int i = 0; i < N; i++)
    for (int k = 0; k < N; k++) {
      double aik = a[i * N + k];
      for (int j = 0; j < N; j++) c[i * N + j] += aik * b[k * N + j];
    }
  double trace = 0;
  for (int i = 0; i < N; i++) trace += c[i * N + i];
  printf("{\"program\":\"matmul\",\"n\":%d,\"trace\":%.3f}\n", N, trace);
  free(a);
  free(b);
  free(c);
  return 0;
}
