#include "scheduler.h"

#include <algorithm>
#include <exception>

#include "clock.h"
#include "timer_core.h"

namespace rtimer {
namespace {
// std::*_heap keep the largest on top; ordering by "later" puts the earliest wake there.
struct Later {
  template <typename E>
  bool operator()(const E& a, const E& b) const { return a.wake > b.wake; }
};
}  // namespace

Scheduler::Scheduler(const ThreadSetup& setup) : waiter_(Waiter::Create()) {
  thread_ = std::thread([this, setup] { Run(setup); });
  std::unique_lock<std::mutex> lock(mu_);
  ready_cv_.wait(lock, [this] { return ready_; });
}

Scheduler::~Scheduler() {
  Shutdown();
  if (delivery_ != nullptr) delivery_->Release();
}

void Scheduler::Run(const ThreadSetup& setup) {
  // Nothing may escape a thread: an exception here would call std::terminate and take Node down.
  try {
    SetupCurrentThread(setup, &report_);
  } catch (...) {
    report_.refused.push_back("thread setup failed");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready_ = true;
  }
  ready_cv_.notify_all();
  try {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      const int64_t wake = heap_.empty() ? Waiter::kForever : heap_.front().wake;
      lock.unlock();
      waiter_->WaitUntil(wake);
      const int64_t now = MonotonicNs();
      lock.lock();
      while (!stop_ && !heap_.empty() && heap_.front().wake <= now) {
        std::pop_heap(heap_.begin(), heap_.end(), Later{});
        TimerCore* t = heap_.back().timer;
        heap_.pop_back();
        t->Fire(now);
        if (!t->Stalled()) PushLocked(t);
      }
    }
  } catch (const std::exception&) {
    // Only allocation failure can get here; the timers stop ticking rather than the process dying.
  } catch (...) {
  }
}

void Scheduler::PushLocked(TimerCore* timer) {
  heap_.push_back({timer->NextWake(), timer});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

void Scheduler::Add(TimerCore* timer) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    PushLocked(timer);
    timers_++;
  }
  waiter_->Kick();
}

void Scheduler::Remove(TimerCore* timer) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto before = heap_.size();
    heap_.erase(std::remove_if(heap_.begin(), heap_.end(), [timer](const Entry& e) { return e.timer == timer; }),
                heap_.end());
    if (heap_.size() != before) std::make_heap(heap_.begin(), heap_.end(), Later{});
    if (timers_ > 0) timers_--;
  }
  waiter_->Kick();
}

void Scheduler::Resume(TimerCore* timer, int64_t now) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    timer->Reanchor(now);
    PushLocked(timer);
  }
  waiter_->Kick();
}

size_t Scheduler::Size() {
  std::lock_guard<std::mutex> lock(mu_);
  return timers_;
}

void Scheduler::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  waiter_->Kick();
  if (thread_.joinable()) thread_.join();
}

}  // namespace rtimer
