#pragma once
#include <node_api.h>

#include <cstdint>

#include "thread_setup.h"

namespace rtimer {

class TimerCore;

// Where a timer's handed-over ticks go until JS runs them: a thread-safe function (Delivery, for
// a timer thread) or the event loop's own queue (LoopScheduler). Reference-counted: the engine that
// made it, each running timer, and anything still to be called back hold one.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void AddRef() = 0;
  virtual void DropRef() = 0;
  // Queues the core's tick (its slot is set). False when nothing will deliver it (closing).
  virtual bool Post(TimerCore* core) = 0;
  // JS thread: whether the core has a tick queued or in the batch being delivered.
  virtual bool Queued(const TimerCore* core) = 0;
  // JS thread: keeps the event loop alive while held (a ref'd running timer, or a stop() waiting
  // for its queued tick to drain).
  virtual void Hold(napi_env env) = 0;
  virtual void Unhold(napi_env env) = 0;
  // Wake-ups that reached JS: a batch carries every tick due then.
  virtual uint64_t Batches() const = 0;
};

// What advances timers' schedules: a timer thread (Scheduler) or the event loop (LoopScheduler).
class TimerHost {
 public:
  virtual ~TimerHost() = default;
  virtual void Add(TimerCore* timer) = 0;
  // Once this returns, the host will not touch `timer` again.
  virtual void Remove(TimerCore* timer) = 0;
  // Puts a stalled timer back on the schedule, re-anchored at `now`; JS thread.
  virtual void Resume(TimerCore* timer, int64_t now) = 0;
  virtual uint64_t WaitErrors() const = 0;
  virtual const SetupReport& Report() const = 0;
  virtual Sink* sink() const = 0;
};

}  // namespace rtimer
