// Tight arithmetic loop: one basic block per iteration.
// Usage: <program> [size]; tests pass a small size, the overhead harness uses the default.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  uint64_t sum = 0;
  uint32_t limit = argc > 1 ? (uint32_t)atoi(argv[1]) : 100000000;
  for (uint32_t i = 0; i < limit; i++) {
    sum += (uint64_t)i * i ^ (sum >> 7);
  }
  printf("{\"program\":\"loop\",\"iterations\":%u,\"result\":%llu}\n", (unsigned)limit,
         (unsigned long long)sum);
  return 0;
}
