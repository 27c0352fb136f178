#pragma once
#include <node_api.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "sink.h"

namespace rtimer {

class DispatchLoop;

// Timers woken by the event loop itself: one timerfd per environment, polled by libuv (uv_poll_t),
// a deadline heap, and the due ticks run right there in one batch. No thread and no hop between
// threads: for a timer that needs no real-time priority, affinity or precision spin this halves the
// wake-up cost at 20 ms (see LATENCY-NOTES). Everything runs on the JS thread, so nothing is locked.
// Linux only (timerfd); elsewhere timers use a thread.
//
// Closed when its last timer stops, or by the environment's async cleanup hook; freed once libuv has
// closed the handle and no running timer holds a reference.
class LoopScheduler final : public TimerHost, public Sink {
 public:
  // JS thread. Throws std::runtime_error when the timerfd or the poll handle cannot be set up.
  static LoopScheduler* Create(napi_env env, DispatchLoop* loop, LoopScheduler** owner);

  // TimerHost
  void Add(TimerCore* timer) override;
  void Remove(TimerCore* timer) override;
  void Resume(TimerCore* timer, int64_t now) override;
  uint64_t WaitErrors() const override { return wait_errors_; }
  const SetupReport& Report() const override { return report_; }
  Sink* sink() const override { return const_cast<LoopScheduler*>(this); }
  size_t Size() const { return timers_; }
  // Stops polling (its last timer stopped, or teardown); runs nothing more. Drops the owner's
  // reference and clears the owner's pointer.
  void Close();

  // Sink
  void AddRef() override { refs_.fetch_add(1, std::memory_order_relaxed); }
  void DropRef() override;
  bool Post(TimerCore* core) override;
  bool Queued(const TimerCore* core) override;
  void Hold(napi_env env) override;
  void Unhold(napi_env env) override;
  uint64_t Batches() const override { return batches_; }

 private:
  struct Entry {
    int64_t wake;
    TimerCore* timer;
  };
  LoopScheduler(napi_env env, DispatchLoop* loop, LoopScheduler** owner) : env_(env), loop_(loop), owner_(owner) {}
  ~LoopScheduler() override;
  void Push(TimerCore* timer);
  // `count`: count the timers due with the first one anew (see Lead()).
  void Arm(bool count = false);
  // `target`: the time the timerfd was set to (0 or less: unknown).
  void Run(int64_t target);
  // How far ahead of `first` (the next wake-up) to hand ticks over, `now` being now.
  int64_t Lead(int64_t first, int64_t now, bool count);
  size_t DueBy(int64_t when) const;
  void Deliver();
  static void OnReadable(uv_poll_t* handle, int status, int events);
  static void OnClosed(uv_handle_t* handle);
  static void AsyncCleanup(napi_async_cleanup_hook_handle handle, void* arg);

  napi_env env_;
  DispatchLoop* loop_;
  LoopScheduler** owner_;  // AddonState's pointer to this, cleared when it closes
  uv_poll_t poll_{};
  int tfd_ = -1;
  bool closing_ = false;
  bool running_ = false;  // in Run(): Arm() waits for its end
  int holds_ = 0;
  size_t timers_ = 0;
  int64_t armed_ = 0;  // the deadline the timerfd is set to; 0: disarmed
  std::vector<Entry> heap_;
  int64_t lead_ = 0;  // the armed wake-up is this far ahead of the first deadline
  // What preparing a batch in JS took: for one tick, and per tick more (learned from each Run).
  int64_t prep_base_ns_ = 20000, prep_per_ns_ = 1000;
  // Spun through before the first deadline (see kMaxMarginNs). It starts at the cap and comes down
  // as batches are ready in time: the first batches after start() find the CPU and the path colder
  // than any later one, and a margin that starts short makes them late until it has grown.
  int64_t margin_ns_ = 250000;
  bool own_lead_ = false;  // the first timer due keeps its own lead (precision): no margin added
  bool learned_ = false;  // a batch has taught prep_*: the timers' dry-run estimate no longer counts
  std::vector<TimerCore*> fired_;
  size_t due_ = 1;  // timers due with the first one, at the last count
  mutable std::vector<size_t> stack_;
  std::vector<TimerCore*> queue_, batch_;  // each entry holds a reference on its core
  napi_async_cleanup_hook_handle cleanup_ = nullptr;
  napi_ref resource_ = nullptr;
  napi_async_context async_ = nullptr;
  std::atomic<int> refs_{2};  // the owner's (until Close) and the open handle's (until OnClosed)
  uint64_t batches_ = 0, wait_errors_ = 0;
  SetupReport report_;
};

}  // namespace rtimer
