/* A CPU-bound loop with no system call until it ends: the kernel sees it only
   through the hart's budget (test/kernel/time/host-rate.test.ts). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  unsigned long n = argc > 1 ? strtoul(argv[1], 0, 10) : 50000000UL;
  volatile unsigned long sink = 0;
  unsigned long x = 1;
  for (unsigned long i = 0; i < n; i++) x = x * 6364136223846793005UL + i;
  sink = x;
  printf("%lu\n", (unsigned long)(sink != 0));
  return 0;
}
