#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "histogram.h"
#include "thread_setup.h"

namespace rtimer {

class Sink;
class TimerHost;

enum class Policy { kSkip = 0, kBurst = 1, kDelay = 2 };

struct TimerOptions {
  std::string name;
  int64_t interval_ns = 0;
  Policy policy = Policy::kSkip;
  uint32_t max_burst = 10;
  double precision_budget = 0;  // share of one core for the early-wake spin; 0 = off
  int64_t prepare_ns = 0;  // what preparing one tick in JS took in a dry run (0: unknown)
  bool own_thread = false;
  bool loop_wake = false;  // woken by the event loop (LoopScheduler) rather than a thread
  bool lock_memory = false;
  ThreadSetup thread;
};

// One native timer: its schedule (advanced by a scheduler thread) and its delivery to JS (on the
// JS thread, through its scheduler's Delivery). At most one tick is outstanding: the thread takes
// the busy bit to hand a tick over and the JS side gives it back when the routes are done, so
// nothing ever queues up behind a slow route; what does not fit is counted, per the policy.
class TimerCore {
 public:
  static constexpr int64_t kNoWake = INT64_MIN;
  explicit TimerCore(TimerOptions options);

  // Owned by its NativeTimer and by each of its queued deliveries (which may outlive the JS
  // object); a plain atomic count, as std::shared_ptr would pull in newer
  // libstdc++ and glibc symbols than the prebuilt binaries may need.
  void AddRef() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void DropRef() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  const TimerOptions& options() const { return options_; }

  // --- timer thread, with the scheduler's lock held ---
  int64_t NextWake() const;
  // `woke`: how late the wake-up was, when the caller knows better (the event loop hands ticks
  // over ahead of their deadline, see LoopScheduler); by default now minus this timer's wake time.
  void Fire(int64_t now, int64_t woke = kNoWake);
  bool Stalled() const { return stalled_; }
  // Re-bases the schedule at `now` (delay policy, after a stall); JS thread, under the same lock.
  void Reanchor(int64_t now);

  // --- JS thread ---
  // `dispatch` is the NativeTimer's reference to its JS function; used only while not stopped.
  void Arm(Sink* sink, napi_ref dispatch, TimerHost* host, int64_t anchor_ns, int64_t now);
  // Runs the handed-over tick's routes through its own dispatch function (one N-API call).
  void Deliver(napi_env env);
  // The same in two halves around a JS loop that runs a whole batch (see DispatchLoop): Prepare()
  // is false when the tick is not run (stopped: counted missed); Finish() gets how the call went.
  struct Handover;
  enum class Outcome : uint8_t { kSync = 0, kAsync = 1, kError = 2, kStopped = 3 };
  bool Prepare(Handover* h, int64_t arrival);
  void Finish(napi_env env, const Handover& h, Outcome outcome, int64_t started);
  // Precision mode spinning on this thread (no spin report): delivered on its own, never in a JS loop.
  bool NativeSpin() const { return max_lead_ns_ > 0 && spin_report_ == nullptr; }
  // Precision mode: the timer keeps its own lead (NextWake() is that far ahead of the deadline).
  bool OwnLead() const { return max_lead_ns_ > 0; }
  // This timer's index in the environment's dispatcher list (DispatchLoop), or -1.
  int32_t loop_slot = -1;
  // Woken by the event loop: stats() says wakeBy 'loop'.
  bool on_loop = false;
  // The Delivery is done with one of its entries: settles a stop() that waited for it.
  void Drained(napi_env env, Sink* sink);
  // The routes are done. Returns true when a tick is owed (burst) or stalled (delay): the busy bit
  // stays set and the caller calls CatchUp() after the event loop has had a turn. Handing it over
  // from here would run it in the same drain of the thread-safe function (up to 1,000 calls back
  // to back), starving timers and I/O for as long as the timer stays behind.
  bool Complete();
  // Hands the owed or stalled tick over (from a setImmediate, outside any delivery).
  void CatchUp();
  // The function Deliver() calls when Complete() says a catch-up is due: it schedules CatchUp()
  // for the next loop turn. Owned by the NativeTimer; never used once stopped.
  void SetDefer(napi_ref defer) { defer_ = defer; }
  // Precision mode with the spin in JS: [ready, started] written by the dispatcher (see binding.ts).
  void SetSpinReport(int64_t* report) { spin_report_ = report; }
  // Counts what is left as missed and stops delivering. Called once the scheduler has let go of
  // the timer (Remove()), so the thread cannot owe or stall a tick behind this count.
  void MarkStopped();
  Napi::Object Stats(Napi::Env env) const;

  SetupReport report;  // knobs applied to the process on the JS thread (mlockall)
  // A stop() waiting for this timer's queued tick to drain, and the loop hold it took meanwhile.
  napi_deferred on_closed = nullptr;

 private:
  // state_: bit 0 busy (a tick is with JS, or a late one waits for CatchUp()), bit 1 stalled (delay policy: a tick waits for JS),
  // bits 2..21 how many ticks are owed (burst policy), bits 22..63 the newest owed tick (low 42
  // bits). One word, so the thread and the JS side always agree on which ticks are owed.
  static constexpr uint64_t kBusy = 1, kStalled = 2;
  static constexpr int kOwedShift = 2, kNewestShift = 22;
  static constexpr uint64_t kOwedMask = (1ULL << 20) - 1, kNewestMask = (1ULL << 42) - 1;
  static uint64_t Owed(uint64_t s) { return (s >> kOwedShift) & kOwedMask; }
  static uint64_t Pack(uint64_t owed, uint64_t newest) {
    return kBusy | (owed << kOwedShift) | ((newest & kNewestMask) << kNewestShift);
  }

 public:
  static constexpr uint32_t kMaxBurst = static_cast<uint32_t>(kOwedMask);

 private:

  struct Slot {
    uint64_t tick = 0;
    int64_t deadline = 0;
    int64_t posted = 0;
    // Handed over by the thread at its own deadline. Only these tune the precision lead: a
    // catch-up or stalled tick is late by design and would push the lead (and the spin) up.
    bool regular = false;
    // Woken by the event loop: the wake-up's lateness, recorded once the routes ran (kNoWake: none).
    int64_t wake = kNoWake;
  };

 public:
  struct Handover {
    Slot slot;
    int64_t arrival = 0;
    bool js_spin = false;
  };

 private:

  int64_t Deadline(uint64_t k) const { return base_ + static_cast<int64_t>(k) * options_.interval_ns; }
  void Post(uint64_t tick, int64_t deadline, int64_t now, bool regular, int64_t wake = kNoWake);
  void RecordLater(const Handover& h);
  void Adapt(int64_t early);
  void JsSpinDone(const Slot& slot);
  void Add(std::atomic<uint64_t>& a, uint64_t n) { a.fetch_add(n, std::memory_order_relaxed); }

  friend class Delivery;
  friend class LoopScheduler;
  std::atomic<int> refs_{1};
  TimerOptions options_;
  Sink* delivery_ = nullptr;  // null once stopped
  napi_ref dispatch_ = nullptr;
  int queued_ = 0;  // entries in the sink's queue or batch; under its lock
  uint64_t batches_ = 0;  // the Delivery's count, kept when it goes at stop
  TimerHost* scheduler_ = nullptr;  // null once stopped (an own-thread scheduler is gone then)
  bool stopped_ = false;  // JS thread only
  napi_ref defer_ = nullptr;
  int64_t* spin_report_ = nullptr;
  uint64_t wait_errors_ = 0;  // the scheduler's count, kept when it goes at stop

  // Schedule: thread-owned, or JS-owned under the scheduler lock while stalled.
  int64_t base_ = 0;
  uint64_t k_ = 1;
  uint64_t tick_offset_ = 0;
  bool stalled_ = false;
  Slot stalled_slot_;

  std::atomic<uint64_t> state_{0};
  Slot slot_;  // written by whoever set the busy bit

  std::atomic<uint64_t> ticks_{0}, executions_{0}, missed_{0}, errors_{0};
  std::atomic<int64_t> lead_ns_{0};
  int64_t max_lead_ns_ = 0;
  std::atomic<uint64_t> spin_ns_{0};
  int64_t armed_at_ = 0;

  Histogram wake_;      // timer thread: woke vs the time it meant to wake
  Histogram callback_;  // JS thread: route start vs deadline
  Histogram hop_;       // JS thread: arrival in the event loop vs the thread's post
};

}  // namespace rtimer
