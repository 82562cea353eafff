/* The real-kernel tests' child: 16 anonymous pages, the even ones touched; prints their address and
 * waits until its stdin closes. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  for (int i = 0; i < 16; i += 2) p[i * 4096] = 1;
  printf("%lx\n", (unsigned long)p);
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return 0;
}
