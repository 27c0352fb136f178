#pragma once
#include <memory>
#include <stdexcept>

#include "dispatch_loop.h"
#if defined(RTIMER_WAIT_LINUX)
#include "loop_scheduler.h"
#endif
#include "scheduler.h"

namespace rtimer {

// Everything one Node environment (main thread or worker) owns; given to SetInstanceData, so no
// state is static and each worker_threads environment has its own shared thread.
struct AddonState {
  std::unique_ptr<Scheduler> shared;
  DispatchLoop loop;

#if defined(RTIMER_WAIT_LINUX)
  LoopScheduler* on_loop = nullptr;  // cleared by its Close()

  // JS thread; throws std::exception when the event loop cannot poll a timerfd.
  TimerHost* Loop(napi_env env) {
    if (on_loop == nullptr) on_loop = LoopScheduler::Create(env, &loop, &on_loop);
    return on_loop;
  }
  void ReleaseLoopIfIdle() {
    if (on_loop != nullptr && on_loop->Size() == 0) on_loop->Close();
  }
#else
  TimerHost* Loop(napi_env) { throw std::runtime_error("no timerfd in this build"); }
  void ReleaseLoopIfIdle() {}
#endif

  // JS thread; throws std::exception when the thread or its delivery cannot be created.
  Scheduler* Shared(napi_env env) {
    if (!shared) {
      ThreadSetup setup;
      setup.name = "rtimer:shared";
      auto s = std::make_unique<Scheduler>(setup);
      s->Attach(Delivery::Create(env, "rtimer:shared"));
      shared = std::move(s);
    }
    return shared.get();
  }

  // The shared thread is joined as soon as no timer uses it.
  void ReleaseSharedIfIdle() {
    if (shared && shared->Size() == 0) shared.reset();
  }

  // Timers release their memory lock reference when they stop (their cleanup hooks run first).
  ~AddonState() {
    shared.reset();
    ReleaseLoopIfIdle();
  }
};

}  // namespace rtimer
