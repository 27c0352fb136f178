#include "clock.h"

#include <chrono>
#include <ctime>

namespace rtimer {

int64_t MonotonicNs() {
#if defined(RTIMER_WAIT_LINUX)
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
#else
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
#endif
}

int64_t RealtimeNs() {
#if defined(RTIMER_WAIT_LINUX)
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
#else
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
#endif
}

int64_t SpinUntil(int64_t deadline) {
  int64_t now = MonotonicNs();
  while (now < deadline) now = MonotonicNs();
  return now;
}

}  // namespace rtimer
