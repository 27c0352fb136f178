#include "native_timer.h"

#include <cmath>
#include <exception>

#include "clock.h"

namespace rtimer {
namespace {

TimerOptions ParseOptions(const Napi::Object& o) {
  Napi::Env env = o.Env();
  auto fail = [&](const std::string& what) -> void {
    throw Napi::TypeError::New(env, "NativeTimer: invalid option " + what);
  };
  TimerOptions t;
  if (!o.Get("name").IsString()) fail("name (a string)");
  t.name = o.Get("name").As<Napi::String>().Utf8Value();
  const Napi::Value iv = o.Get("intervalNs");
  if (!iv.IsNumber()) fail("intervalNs (a number)");
  const double interval = iv.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(interval) || interval < 1000 || interval > 9.2e18) fail("intervalNs (1000 ns or more)");
  t.interval_ns = static_cast<int64_t>(interval);
  const Napi::Value policy = o.Get("policy");
  if (!policy.IsUndefined()) {
    const std::string p = policy.ToString().Utf8Value();
    if (p == "skip") t.policy = Policy::kSkip;
    else if (p == "burst") t.policy = Policy::kBurst;
    else if (p == "delay") t.policy = Policy::kDelay;
    else fail("policy (skip, burst or delay)");
  }
  const Napi::Value burst = o.Get("maxBurst");
  if (!burst.IsUndefined()) {
    const double b = burst.IsNumber() ? burst.As<Napi::Number>().DoubleValue() : 0;
    if (!(b >= 1 && b <= TimerCore::kMaxBurst)) fail("maxBurst (1.." + std::to_string(TimerCore::kMaxBurst) + ")");
    t.max_burst = burst.As<Napi::Number>().Uint32Value();
  }
  const Napi::Value budget = o.Get("precisionBudget");
  if (!budget.IsUndefined()) {
    const double b = budget.IsNumber() ? budget.As<Napi::Number>().DoubleValue() : -1;
    if (!(b >= 0 && b <= 0.5)) fail("precisionBudget (0..0.5)");
    t.precision_budget = b;
  }
  t.own_thread = o.Get("ownThread").ToBoolean();
  const Napi::Value prepare = o.Get("prepareNs");
  if (!prepare.IsUndefined()) {
    const double ns = prepare.IsNumber() ? prepare.As<Napi::Number>().DoubleValue() : -1;
    if (!(ns >= 0 && ns <= 1e9)) fail("prepareNs (0..1e9)");
    t.prepare_ns = static_cast<int64_t>(ns);
  }
  const Napi::Value wake = o.Get("wake");
  if (!wake.IsUndefined()) {
    const std::string w = wake.IsString() ? wake.As<Napi::String>().Utf8Value() : "";
    if (w != "loop" && w != "thread") fail("wake (loop or thread)");
    t.loop_wake = w == "loop";
  }
  t.lock_memory = o.Get("lockMemory").ToBoolean();
  t.thread.name = "rtimer:" + t.name;
  const Napi::Value prio = o.Get("priority");
  if (!prio.IsUndefined()) {
    if (!prio.IsNumber()) fail("priority (1..99)");
    const int p = prio.As<Napi::Number>().Int32Value();
    if (p < 1 || p > 99) fail("priority (1..99)");
    t.thread.priority = p;
  }
  t.thread.round_robin = o.Get("schedPolicy").IsString() && o.Get("schedPolicy").As<Napi::String>().Utf8Value() == "rr";
  const Napi::Value cpus = o.Get("cpus");
  if (cpus.IsArray()) {
    Napi::Array a = cpus.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) t.thread.cpus.push_back(a.Get(i).ToNumber().Int32Value());
  } else if (!cpus.IsUndefined()) {
    fail("cpus (an array)");
  }
  if (t.thread.priority > 0 || !t.thread.cpus.empty()) t.own_thread = true;
  // The event loop cannot give priority or affinity: those need a thread. Precision mode's early
  // wake and spin it can: the tick then reaches JS with no hop between threads.
  if (t.own_thread) t.loop_wake = false;
  return t;
}

}  // namespace

Napi::Function NativeTimer::Define(Napi::Env env) {
  return DefineClass(env, "NativeTimer",
                     {InstanceMethod<&NativeTimer::Start>("start"), InstanceMethod<&NativeTimer::Stop>("stop"),
                      InstanceMethod<&NativeTimer::Complete>("complete"),
                      InstanceMethod<&NativeTimer::CatchUp>("catchUp"), InstanceMethod<&NativeTimer::Ref>("ref"),
                      InstanceMethod<&NativeTimer::Unref>("unref"), InstanceMethod<&NativeTimer::HasRef>("hasRef"),
                      InstanceMethod<&NativeTimer::Stats>("stats")});
}

NativeTimer::NativeTimer(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NativeTimer>(info), env_(info.Env()), state_(info.Env().GetInstanceData<AddonState>()) {
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction() ||
      (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsFunction())) {
    throw Napi::TypeError::New(info.Env(), "NativeTimer(options, dispatch, defer?): expected an object and functions");
  }
  const Napi::Object options = info[0].As<Napi::Object>();
  core_ = new TimerCore(ParseOptions(options));
  const Napi::Value report = options.Get("spinReport");
  if (!report.IsUndefined()) {
    if (!report.IsTypedArray() || report.As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array ||
        report.As<Napi::TypedArray>().ElementLength() < 2) {
      core_->DropRef();
      throw Napi::TypeError::New(info.Env(), "NativeTimer: invalid option spinReport (a BigInt64Array of 2)");
    }
    Napi::TypedArray a = report.As<Napi::TypedArray>();
    spin_report_ = Napi::Persistent(a);
    // Its memory stays put while referenced: a plain (not resizable) buffer, held until destruction.
    core_->SetSpinReport(reinterpret_cast<int64_t*>(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset()));
  }
  dispatch_ = Napi::Persistent(info[1].As<Napi::Function>());
  if (info.Length() > 2 && info[2].IsFunction()) defer_ = Napi::Persistent(info[2].As<Napi::Function>());
}

NativeTimer::~NativeTimer() {
  StopNow();
  core_->DropRef();
}

Napi::Value NativeTimer::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (phase_ != Phase::kIdle) throw Napi::Error::New(env, "NativeTimer: start() after start() or stop()");
  int64_t anchor = MonotonicNs();
  const int64_t now = anchor;
  if (info.Length() > 0 && info[0].IsBigInt()) {
    bool lossless;
    anchor = info[0].As<Napi::BigInt>().Int64Value(&lossless);
  }
  // Every way start can fail is an Error with code ERR_RTIMER_START, and leaves nothing behind.
  auto fail = [&](const std::string& why) {
    own_.reset();
    if (locked_) ReleaseMemoryLock();
    locked_ = false;
    Napi::Error e = Napi::Error::New(env, "NativeTimer start: " + why);
    e.Set("code", Napi::String::New(env, "ERR_RTIMER_START"));
    return e;
  };
  TimerHost* scheduler = nullptr;
  try {
    if (core_->options().lock_memory) locked_ = AcquireMemoryLock(&core_->report);
    // The event-loop wake is the engine's choice, not the user's: where it cannot be had (no
    // timerfd, the poll handle refused), a thread wakes the timer as it always could.
    if (core_->options().loop_wake) {
      try {
        scheduler = state_->Loop(env);
        core_->on_loop = true;
      } catch (const std::exception&) {
        scheduler = nullptr;
      }
    }
    if (scheduler == nullptr && core_->options().own_thread) {
      own_ = std::make_unique<Scheduler>(core_->options().thread);
      own_->Attach(Delivery::Create(env, "rtimer:" + core_->options().name));
      scheduler = own_.get();
    } else if (scheduler == nullptr) {
      scheduler = state_->Shared(env);
    }
  } catch (const std::exception& e) {
    if (!core_->options().own_thread) state_->ReleaseSharedIfIdle();
    throw fail(std::string("no timer thread: ") + e.what());
  }
  host_ = scheduler;
  delivery_ = scheduler->sink();
  delivery_->AddRef();
  if (refed_) delivery_->Hold(env);
  core_->Arm(delivery_, dispatch_, scheduler, anchor, now);
  core_->loop_slot = core_->NativeSpin() ? -1 : state_->loop.Acquire(env, dispatch_);
  if (!defer_.IsEmpty()) core_->SetDefer(defer_);
  scheduler->Add(core_);
  napi_add_env_cleanup_hook(env, Cleanup, this);
  hooked_ = true;
  phase_ = Phase::kRunning;
  return env.Undefined();
}

// The dispatch and defer functions close over the JS side of this timer (its runner, routes and
// RTimer), which holds this object: strong references from here would keep that cycle alive for ever
// behind C++, so they are let go once stopped. Nothing calls them after MarkStopped().
void NativeTimer::ReleaseCallbacks() {
  if (!dispatch_.IsEmpty()) dispatch_.Reset();
  if (!defer_.IsEmpty()) defer_.Reset();
}

void NativeTimer::StopNow() {
  if (hooked_) {
    napi_remove_env_cleanup_hook(env_, Cleanup, this);
    hooked_ = false;
  }
  if (phase_ != Phase::kRunning) {
    phase_ = Phase::kStopped;
    ReleaseCallbacks();
    return;
  }
  phase_ = Phase::kStopped;
  if (refed_) delivery_->Unhold(env_);
  if (state_ != nullptr) state_->loop.Release(env_, core_->loop_slot);
  core_->loop_slot = -1;
  // The scheduler lets go first, so the thread cannot owe or stall a tick after MarkStopped()
  // has counted them: executions + missed = ticks holds exactly once stop() returns.
  if (own_) {
    own_->Remove(core_);
    core_->MarkStopped();
    own_.reset();  // joins the thread and closes its timerfd and eventfd now, not at GC
  } else if (core_->on_loop) {
    host_->Remove(core_);
    core_->MarkStopped();
    if (state_ != nullptr) state_->ReleaseLoopIfIdle();
  } else {
    if (state_ != nullptr && state_->shared) state_->shared->Remove(core_);
    core_->MarkStopped();
    if (state_ != nullptr) state_->ReleaseSharedIfIdle();
  }
  if (locked_) {
    locked_ = false;
    ReleaseMemoryLock();
  }
  delivery_->DropRef();
  delivery_ = nullptr;
  ReleaseCallbacks();
}

void NativeTimer::Cleanup(void* self) { static_cast<NativeTimer*>(self)->StopNow(); }

Napi::Value NativeTimer::Stop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (phase_ == Phase::kRunning) {
    Sink* delivery = delivery_;
    delivery->AddRef();
    StopNow();
    // A tick still queued for JS is delivered (as missed) before stop() settles, so the counters
    // are final then; the loop is held until it drains, even for an unref()'d timer.
    const bool queued = delivery->Queued(core_);
    napi_value promise;
    napi_deferred d;
    if (napi_create_promise(env, &d, &promise) != napi_ok) {
      delivery->DropRef();
      throw Napi::Error::New(env, "NativeTimer stop: cannot create a promise");
    }
    if (queued) {
      core_->on_closed = d;
      delivery->Hold(env);
    } else {
      napi_value undefined;
      if (napi_get_undefined(env, &undefined) != napi_ok || napi_resolve_deferred(env, d, undefined) != napi_ok) {
        delivery->DropRef();
        throw Napi::Error::New(env, "NativeTimer stop: cannot settle its promise");
      }
    }
    delivery->DropRef();
    return Napi::Value(env, promise);
  }
  StopNow();
  auto done = Napi::Promise::Deferred::New(env);
  done.Resolve(env.Undefined());
  return done.Promise();
}

Napi::Value NativeTimer::Complete(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), phase_ != Phase::kIdle && core_->Complete());
}

Napi::Value NativeTimer::CatchUp(const Napi::CallbackInfo& info) {
  if (phase_ != Phase::kIdle) core_->CatchUp();
  return info.Env().Undefined();
}

Napi::Value NativeTimer::Ref(const Napi::CallbackInfo& info) {
  if (phase_ == Phase::kRunning && !refed_) delivery_->Hold(info.Env());
  refed_ = true;
  return info.This();
}

Napi::Value NativeTimer::Unref(const Napi::CallbackInfo& info) {
  if (phase_ == Phase::kRunning && refed_) delivery_->Unhold(info.Env());
  refed_ = false;
  return info.This();
}

Napi::Value NativeTimer::HasRef(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), refed_ && phase_ == Phase::kRunning);
}

Napi::Value NativeTimer::Stats(const Napi::CallbackInfo& info) { return core_->Stats(info.Env()); }

}  // namespace rtimer
