#pragma once
#include <napi.h>

#include <memory>

#include "addon_state.h"
#include "sink.h"
#include "timer_core.h"

namespace rtimer {

// The JS object of one native timer: new NativeTimer(options, dispatch, defer?); start(anchorNs?);
// stop() -> Promise (settles once every queued delivery has drained); complete() -> bool;
// catchUp(); ref/unref/hasRef; stats(). `defer()` is called when a late tick is owed after a
// route: it must call catchUp() on a later event-loop turn (setImmediate). complete() returns
// true in the same case. Registers an environment cleanup hook while it runs, so teardown always
// joins its thread. Its scheduler (an own thread, with its fds), its memory lock and its references
// to dispatch and defer are released at stop, not at garbage collection.
class NativeTimer : public Napi::ObjectWrap<NativeTimer> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeTimer(const Napi::CallbackInfo& info);
  ~NativeTimer() override;

 private:
  enum class Phase { kIdle, kRunning, kStopped };

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Complete(const Napi::CallbackInfo& info);
  Napi::Value CatchUp(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value HasRef(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  void StopNow();
  void ReleaseCallbacks();
  static void Cleanup(void* self);

  napi_env env_;
  AddonState* state_;
  TimerCore* core_;  // one reference, dropped in the destructor
  std::unique_ptr<Scheduler> own_;
  Sink* delivery_ = nullptr;  // a reference while running
  TimerHost* host_ = nullptr;  // while running
  Napi::FunctionReference dispatch_;
  Napi::FunctionReference defer_;
  Napi::Reference<Napi::TypedArray> spin_report_;  // keeps the precision report's memory alive
  Phase phase_ = Phase::kIdle;
  bool refed_ = true;
  bool hooked_ = false;
  bool locked_ = false;  // holds a reference on the process-wide memory lock
};

}  // namespace rtimer
