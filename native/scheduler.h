#pragma once
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "delivery.h"
#include "thread_setup.h"
#include "waiter.h"

namespace rtimer {

class TimerCore;

// One thread serving any number of timers from a deadline heap: 1,000 timers cost one thread.
// A timer that wants its own thread (lowest jitter, priority, affinity) gets a Scheduler of its own.
class Scheduler final : public TimerHost {
 public:
  // Starts the thread and waits until it has applied `setup`, so Report() is complete on return.
  explicit Scheduler(const ThreadSetup& setup);
  ~Scheduler() override;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // JS thread, once, before any Add(): how its timers' ticks reach JS. Released after the join.
  void Attach(Delivery* delivery) { delivery_ = delivery; }
  Sink* sink() const override { return delivery_; }

  void Add(TimerCore* timer) override;
  // Once this returns, the thread will not touch `timer` again.
  void Remove(TimerCore* timer) override;
  // Puts a stalled timer back on the schedule, re-anchored at `now`.
  void Resume(TimerCore* timer, int64_t now) override;
  // Stops and joins the thread; idempotent.
  void Shutdown();
  size_t Size();
  const SetupReport& Report() const override { return report_; }
  // Waits that failed (timerfd_settime, poll) and fell back to a plain timed wait.
  uint64_t WaitErrors() const override { return waiter_->Errors(); }

 private:
  struct Entry {
    int64_t wake;
    TimerCore* timer;
  };
  void Run(const ThreadSetup& setup);
  void PushLocked(TimerCore* timer);

  std::mutex mu_;
  std::vector<Entry> heap_;
  size_t timers_ = 0;
  bool stop_ = false;
  bool ready_ = false;  // the thread has applied its setup
  std::condition_variable ready_cv_;
  std::unique_ptr<Waiter> waiter_;
  SetupReport report_;
  std::thread thread_;
  Delivery* delivery_ = nullptr;
};

}  // namespace rtimer
