#include <napi.h>

#include <stdexcept>
#include <string>

#include "addon_state.h"
#include "clock.h"
#include "floor_thread.h"
#include "native_timer.h"
#include "thread_setup.h"

namespace rtimer {
namespace {

Napi::Value Now(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), MonotonicNs());
}

// Precision mode's last step before a route: spins on the JS thread to `deadline` (a monotonic
// BigInt) and returns the time it read last. A spin in JS would allocate a BigInt per clock read,
// and the scavenges those trigger land on the routes.
Napi::Value SpinUntilDeadline(const Napi::CallbackInfo& info) {
  bool lossless = false;
  if (info.Length() < 1 || !info[0].IsBigInt()) throw Napi::TypeError::New(info.Env(), "spinUntil(deadline): deadline must be a BigInt");
  const int64_t deadline = info[0].As<Napi::BigInt>().Int64Value(&lossless);
  if (!lossless) throw Napi::RangeError::New(info.Env(), "spinUntil(deadline): deadline out of range");
  return Napi::BigInt::New(info.Env(), SpinUntil(deadline));
}

// CLOCK_REALTIME minus CLOCK_MONOTONIC now: read between two monotonic reads, taken at their middle.
Napi::Value RealtimeOffset(const Napi::CallbackInfo& info) {
  const int64_t a = MonotonicNs();
  const int64_t real = RealtimeNs();
  const int64_t b = MonotonicNs();
  return Napi::BigInt::New(info.Env(), real - (a + (b - a) / 2));
}

Napi::Value SetDispatchLoop(const Napi::CallbackInfo& info) {
  napi_value argv[6];
  size_t argc = info.Length() < 6 ? info.Length() : 6;
  for (size_t i = 0; i < argc; i++) argv[i] = info[i];
  try {
    info.Env().GetInstanceData<AddonState>()->loop.Register(info.Env(), argc, argv);
  } catch (const std::invalid_argument& e) {
    throw Napi::TypeError::New(info.Env(), std::string("setDispatchLoop: ") + e.what());
  }
  return info.Env().Undefined();
}

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object caps = Napi::Object::New(env);
#if defined(RTIMER_WAIT_LINUX)
  caps.Set("wait", "timerfd");
#else
  caps.Set("wait", "steady_clock");
#endif
  caps.Set("clock", "monotonic");
  return caps;
}

Napi::Value ParentDeathSignal(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), SetParentDeathSignal());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<AddonState>(new AddonState());
  exports.Set("NativeTimer", NativeTimer::Define(env));
  exports.Set("FloorThread", FloorThread::Define(env));
  exports.Set("now", Napi::Function::New(env, Now, "now"));
  exports.Set("spinUntil", Napi::Function::New(env, SpinUntilDeadline, "spinUntil"));
  exports.Set("setDispatchLoop", Napi::Function::New(env, SetDispatchLoop, "setDispatchLoop"));
  exports.Set("realtimeOffset", Napi::Function::New(env, RealtimeOffset, "realtimeOffset"));
  exports.Set("setParentDeathSignal", Napi::Function::New(env, ParentDeathSignal, "setParentDeathSignal"));
  exports.Set("capabilities", Napi::Function::New(env, Capabilities, "capabilities"));
  return exports;
}

}  // namespace
}  // namespace rtimer

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return rtimer::Init(env, exports); }

NODE_API_MODULE(rtimer, InitAll)
