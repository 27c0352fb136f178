// The host's own stalls, as a thread that never sleeps sees them: a C loop reading
// CLOCK_MONOTONIC, timing the gaps between consecutive reads. A gap of tens of µs is time the
// (virtual) CPU was taken from the thread: interrupts, or the hypervisor running something else.
// Two probes, each `rounds` long:
//   spin  — one continuous spin of `seconds`: gaps > 5/20/50 µs per second, and the largest;
//   wake  — `rounds` times: sleep `interval_ns` (clock_nanosleep), then spin 500 µs; the largest
//           gap in each of those spins (what a timer that wakes early and spins to its deadline meets).
// Usage: host-stalls <seconds> <interval_ns> <rounds>; prints one line of JSON.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void* a, const void* b) {
  const int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const double seconds = atof(argv[1]);
  const int64_t interval = atoll(argv[2]);
  const int rounds = atoi(argv[3]);
  if (seconds <= 0 || interval <= 0 || rounds <= 0 || rounds > 1000000) return 2;

  long over5 = 0, over20 = 0, over50 = 0;
  int64_t largest = 0;
  const int64_t start = now_ns(), end = start + (int64_t)(seconds * 1e9);
  for (int64_t prev = start;;) {
    const int64_t t = now_ns(), gap = t - prev;
    prev = t;
    if (gap > 5000) over5++;
    if (gap > 20000) over20++;
    if (gap > 50000) over50++;
    if (gap > largest) largest = gap;
    if (t >= end) break;
  }

  int64_t* worst = malloc(sizeof(int64_t) * (size_t)rounds);
  if (worst == NULL) return 1;
  for (int k = 0; k < rounds; k++) {
    const struct timespec s = {(time_t)(interval / 1000000000LL), (long)(interval % 1000000000LL)};
    clock_nanosleep(CLOCK_MONOTONIC, 0, &s, NULL);
    const int64_t woke = now_ns(), until = woke + 500000;
    int64_t prev = woke, mg = 0;
    for (;;) {
      const int64_t t = now_ns();
      if (t - prev > mg) mg = t - prev;
      prev = t;
      if (t >= until) break;
    }
    worst[k] = mg;
  }
  qsort(worst, (size_t)rounds, sizeof(int64_t), cmp);
  printf("{\"seconds\":%g,\"over5PerS\":%.0f,\"over20PerS\":%.0f,\"over50PerS\":%.0f,\"largestNs\":%lld,"
         "\"intervalNs\":%lld,\"rounds\":%d,\"wakeGapP50Ns\":%lld,\"wakeGapP99Ns\":%lld,\"wakeGapMaxNs\":%lld}\n",
         seconds, over5 / seconds, over20 / seconds, over50 / seconds, (long long)largest, (long long)interval, rounds,
         (long long)worst[rounds / 2], (long long)worst[(rounds * 99) / 100], (long long)worst[rounds - 1]);
  free(worst);
  return 0;
}
