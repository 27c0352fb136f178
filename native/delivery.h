#pragma once
#include <node_api.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "sink.h"

namespace rtimer {

class TimerCore;

// How the ticks of one scheduler thread reach its environment's JS thread: one thread-safe function
// for all its timers, carrying every tick handed over since JS last looked. A wake-up that makes
// 1,000 timers due costs one event-loop hop, not 1,000 (libuv also scans every async handle on each
// wake, so one handle per timer costs every timer on every wake).
//
// Owned by its Scheduler and by the thread-safe function, which can close first on environment
// teardown; whichever lets go last deletes it.
class Delivery final : public Sink {
 public:
  // JS thread. Throws std::runtime_error when the function cannot be created.
  static Delivery* Create(napi_env env, const std::string& name);
  void AddRef() override { refs_.fetch_add(1, std::memory_order_relaxed); }
  void DropRef() override;

  // Any thread (the scheduler's, or JS for a catch-up): queues the core's tick (its slot is set).
  // False when the function is closing: nothing will deliver it.
  bool Post(TimerCore* core) override;
  // JS thread: whether the core has a tick queued or in the batch being delivered.
  bool Queued(const TimerCore* core) override;
  // JS thread: keeps the event loop alive while held (a ref'd running timer, or a stop() waiting
  // for its queued tick to drain).
  void Hold(napi_env env) override;
  void Unhold(napi_env env) override;
  // Wake-ups that reached JS: a batch carries every tick due then.
  uint64_t Batches() const override { return batches_.load(std::memory_order_relaxed); }
  // The scheduler is done with it (its thread is joined); JS thread.
  void Release();

 private:
  Delivery() = default;
  ~Delivery() override;
  static void CallJs(napi_env env, napi_value, void* context, void*);
  static void Finalize(napi_env, void* data, void*);

  napi_threadsafe_function tsfn_ = nullptr;
  std::atomic<int> refs_{2};  // the scheduler's, the function's, and a pending call's
  bool closed_ = false;       // JS thread: the function has finalized
  int holds_ = 0;             // JS thread
  std::mutex mu_;
  std::vector<TimerCore*> queue_;  // under mu_; each entry holds a reference on its core
  std::vector<TimerCore*> batch_;  // JS thread: the batch being delivered
  std::atomic<uint64_t> batches_{0};
};

}  // namespace rtimer
