/* The live test's child: a hot buffer and a cold one, 64 pages each, both touched once. Then, until
 * its stdin closes, the hot buffer is write-protected and written again and again: each write to a
 * present, write-protected page takes a page fault (a SIGSEGV the handler answers by unprotecting
 * the page), so page-fault samples carry the hot pages' physical addresses. Prints the two addresses. */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES 64
#define PAGE 4096

static void on_segv(int sig, siginfo_t *info, void *ctx) {
  (void)sig; (void)ctx;
  uintptr_t page = (uintptr_t)info->si_addr & ~(uintptr_t)(PAGE - 1);
  mprotect((void *)page, PAGE, PROT_READ | PROT_WRITE);
}

int main(void) {
  char *hot = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *cold = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (hot == MAP_FAILED || cold == MAP_FAILED) return 1;
  memset(hot, 1, PAGES * PAGE);
  memset(cold, 1, PAGES * PAGE);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  printf("%lx %lx %d\n", (unsigned long)hot, (unsigned long)cold, PAGES);
  fflush(stdout);
  struct pollfd in = {.fd = 0, .events = POLLIN};
  for (;;) {
    mprotect(hot, PAGES * PAGE, PROT_READ);
    for (int i = 0; i < PAGES; i++) hot[i * PAGE] += 1;
    if (poll(&in, 1, 1) != 0) break; /* stdin closed (or data): done */
  }
  return 0;
}
