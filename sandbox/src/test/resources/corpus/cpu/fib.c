// Recursive Fibonacci: call-heavy, the hardest case for fuel metering.
// Usage: <program> [size]; tests pass a small size, the overhead harness uses the default.
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned fib(unsigned n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 35;
  printf("{\"program\":\"fib\",\"n\":%u,\"result\":%u}\n", n, fib(n));
  return 0;
}
