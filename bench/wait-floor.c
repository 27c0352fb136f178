/* The physical floor of a woken thread: clock_nanosleep(TIMER_ABSTIME) on CLOCK_MONOTONIC with 1 ns
   timer slack. Prints one lateness per line in ns, then "cpu <ns>" (its own CPU time).
   Usage: wait-floor <interval_ns> <count> */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const int64_t interval = atoll(argv[1]);
  const int count = atoi(argv[2]);
  int64_t *late = malloc(sizeof(int64_t) * (size_t)count);
  if (!late) return 1;
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  const int64_t base = now_ns();
  for (int k = 1; k <= count; k++) {
    const int64_t d = base + k * interval;
    struct timespec ts = {d / 1000000000LL, d % 1000000000LL};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    late[k - 1] = now_ns() - d;
  }
  for (int i = 0; i < count; i++) printf("%lld\n", (long long)late[i]);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("cpu %lld\n", (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                           (long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL);
  free(late);
  return 0;
}
