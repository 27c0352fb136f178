#pragma once
#include <atomic>
#include <cstdint>
#include <memory>

namespace rtimer {

// Sleeps until an absolute CLOCK_MONOTONIC deadline, or until Kick() from any thread. A Kick()
// that comes before the wait is not lost. Linux: timerfd (TFD_TIMER_ABSTIME) + eventfd in poll();
// elsewhere (or with RTIMER_PORTABLE=1): a condition variable on the steady clock.
class Waiter {
 public:
  static constexpr int64_t kForever = INT64_MAX;
  static std::unique_ptr<Waiter> Create();
  virtual ~Waiter() = default;
  // Returns false when woken by Kick() before the deadline.
  virtual bool WaitUntil(int64_t deadline_ns) = 0;
  virtual void Kick() = 0;
  virtual const char* Kind() const = 0;
  // Waits whose primary mechanism failed and fell back (never a spin, never a silent stop).
  uint64_t Errors() const { return errors_.load(std::memory_order_relaxed); }

 protected:
  void CountError() { errors_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> errors_{0};
};

}  // namespace rtimer
