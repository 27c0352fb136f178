#include <chrono>
#include <condition_variable>
#include <mutex>

#include "waiter.h"

namespace rtimer {
namespace {

// The portable fallback. steady_clock is CLOCK_MONOTONIC where that exists, the clock MonotonicNs()
// reads, so deadlines mean the same in both builds.
class SteadyWaiter final : public Waiter {
 public:
  bool WaitUntil(int64_t deadline_ns) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (deadline_ns == kForever) {
      cv_.wait(lock, [this] { return kicked_; });
    } else {
      const auto at = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns));
      cv_.wait_until(lock, at, [this] { return kicked_; });
    }
    const bool kicked = kicked_;
    kicked_ = false;
    return !kicked;
  }

  void Kick() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      kicked_ = true;
    }
    cv_.notify_one();
  }

  const char* Kind() const override { return "steady_clock"; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool kicked_ = false;
};

}  // namespace

std::unique_ptr<Waiter> Waiter::Create() { return std::make_unique<SteadyWaiter>(); }

}  // namespace rtimer
