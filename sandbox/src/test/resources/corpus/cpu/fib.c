// Recursive Fibonacci: call-heavy, the hardest case for fuel metering.
#include <stdio.h>

__attribute__((noinline)) static unsigned fib(unsigned n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(void) {
  unsigned n = 30;
  printf("{\"program\":\"fib\",\"n\":%u,\"result\":%u}\n", n, fib(n));
  return 0;
}
