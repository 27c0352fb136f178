#pragma once
#include <memory>

#include "scheduler.h"

namespace rtimer {

// Everything one Node environment (main thread or worker) owns; given to SetInstanceData, so no
// state is static and each worker_threads environment has its own shared thread.
struct AddonState {
  std::unique_ptr<Scheduler> shared;

  Scheduler* Shared() {
    if (!shared) {
      ThreadSetup setup;
      setup.name = "rtimer:shared";
      shared = std::make_unique<Scheduler>(setup);
    }
    return shared.get();
  }

  // The shared thread is joined as soon as no timer uses it.
  void ReleaseSharedIfIdle() {
    if (shared && shared->Size() == 0) shared.reset();
  }

  // Timers release their memory lock reference when they stop (their cleanup hooks run first).
  ~AddonState() { shared.reset(); }
};

}  // namespace rtimer
