#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "thread_setup.h"

namespace rtimer {

// The host's floor for `rtimer latency`: a plain native thread that does what cyclictest does
// (clock_nanosleep(TIMER_ABSTIME) on CLOCK_MONOTONIC, 1 ns timer slack, no JS) and records each
// wake's lateness. JS: new FloorThread(intervalNs); start(anchorNs?); drain() -> Float64Array of
// [cycle, latenessNs] pairs recorded since the last drain; stats(); stop() (idempotent, joins).
// Registers an environment cleanup hook while it runs, so teardown always joins the thread.
class FloorThread : public Napi::ObjectWrap<FloorThread> {
 public:
  // The wait is the one under test, so it is not made interruptible: stop() waits out at most one
  // interval, hence the bound.
  static constexpr int64_t kMinIntervalNs = 10'000;
  static constexpr int64_t kMaxIntervalNs = 1'000'000'000;
  static constexpr uint64_t kRing = 1 << 16;  // samples between two drains before some are dropped

  static Napi::Function Define(Napi::Env env);
  explicit FloorThread(const Napi::CallbackInfo& info);
  ~FloorThread() override;

 private:
  struct Sample {
    uint64_t cycle;
    int64_t late_ns;
  };
  // Shared with the thread; outlives it (joined before it is freed).
  struct Shared {
    int64_t interval_ns = 0;
    int64_t anchor_ns = 0;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> head{0};  // written by the thread only
    std::atomic<uint64_t> tail{0};  // written by JS only
    std::atomic<uint64_t> cycles{0};
    std::atomic<uint64_t> skipped{0};  // deadlines passed over after a wake later than an interval
    std::atomic<uint64_t> dropped{0};  // samples lost to a full ring (JS drained too seldom)
    std::atomic<int64_t> cpu_ns{0};
    SetupReport report;  // written by the thread before `ready`
    std::atomic<bool> ready{false};
    Sample ring[kRing];
  };

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Drain(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  void StopNow();
  static void Cleanup(void* self);
  static void Run(Shared* s) noexcept;

  napi_env env_;
  std::unique_ptr<Shared> shared_;
  std::thread thread_;
  bool started_ = false;
  bool hooked_ = false;
};

}  // namespace rtimer
