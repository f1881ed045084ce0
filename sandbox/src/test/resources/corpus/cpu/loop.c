// Tight arithmetic loop: one basic block per iteration.
#include <stdint.h>
#include <stdio.h>

int main(void) {
  uint64_t sum = 0;
  volatile uint32_t limit = 100000000;
  for (uint32_t i = 0; i < limit; i++) {
    sum += (uint64_t)i * i ^ (sum >> 7);
  }
  printf("{\"program\":\"loop\",\"iterations\":%u,\"result\":%llu}\n", (unsigned)limit,
         (unsigned long long)sum);
  return 0;
}
