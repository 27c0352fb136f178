#pragma once
#include <node_api.h>

#include <cstdint>
#include <vector>

#include "timer_core.h"

namespace rtimer {

// Runs a batch of due ticks through one call into JS: a loop function (lib/native/dispatch-loop.ts) gets
// the count; the ticks wait in typed arrays it shares with us (slot in the dispatcher list, tick,
// deadline) and it writes back when each route started and how its call went. N ticks cost one
// N-API call instead of N, with no argument objects built per tick. Per environment, in AddonState.
class DispatchLoop {
 public:
  // JS thread: setDispatchLoop(loop, dispatchers, slots, ticks, times, results). Throws a
  // std::invalid_argument naming what is wrong.
  void Register(napi_env env, size_t argc, napi_value* argv);
  bool Ready() const { return loop_ != nullptr; }
  // A running timer's place in the dispatcher list; -1 when no loop is registered or on failure.
  int32_t Acquire(napi_env env, napi_ref dispatch);
  // The timer stopped: a loop running now skips it, and its slot is reused only after that loop.
  void Release(napi_env env, int32_t slot);
  // Delivers batch[from, to) (each core with a slot, none spinning natively).
  void Run(napi_env env, const std::vector<TimerCore*>& batch, size_t from, size_t to);
  // A loop is running (this is only reached again through a nested delivery): deliver one by one.
  bool Running() const { return running_ > 0; }
  // When the JS loop had prepared the first call of the last Run() (0 if none) and how many ticks
  // that call held: the event loop learns from it how early to hand ticks over.
  int64_t LastPrepared() const { return last_prepared_; }
  size_t LastCount() const { return last_count_; }

  // Delivers a batch in order, runs of loop-capable ticks through `loop` (may be null: one N-API
  // call each); `done(core)` after each entry. A null env (teardown) runs nothing.
  template <typename Done>
  static void DeliverBatch(napi_env env, DispatchLoop* loop, const std::vector<TimerCore*>& batch, Done done) {
    if (loop != nullptr && (!loop->Ready() || loop->Running())) loop = nullptr;
    auto looped = [](const TimerCore* c) { return c->loop_slot >= 0 && !c->NativeSpin(); };
    for (size_t i = 0; i < batch.size();) {
      if (env == nullptr || loop == nullptr || !looped(batch[i])) {
        if (env != nullptr) batch[i]->Deliver(env);
        done(batch[i++]);
        continue;
      }
      size_t j = i + 1;
      while (j < batch.size() && looped(batch[j])) j++;
      loop->Run(env, batch, i, j);
      for (; i < j; i++) done(batch[i]);
    }
  }

 private:
  napi_ref loop_ = nullptr, dispatchers_ = nullptr, buffers_[4] = {nullptr, nullptr, nullptr, nullptr};
  int32_t* slots_ = nullptr;
  double* ticks_ = nullptr;
  int64_t* times_ = nullptr;  // [2i] deadline, [2i+1] started (written by JS); [2 cap] prepared (JS)
  uint8_t* results_ = nullptr;  // TimerCore::Outcome, written by JS
  size_t cap_ = 0;
  int32_t next_slot_ = 0;
  int running_ = 0;
  int64_t last_prepared_ = 0;
  size_t last_count_ = 0;
  std::vector<int32_t> free_, retired_;
  std::vector<TimerCore::Handover> handovers_;
  std::vector<TimerCore*> cores_;
};

}  // namespace rtimer
