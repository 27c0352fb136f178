#include "floor_thread.h"

#include <cerrno>
#include <cmath>
#include <ctime>
#include <string>

#include "clock.h"

#if !defined(RTIMER_WAIT_LINUX)
#include <chrono>
#endif

namespace rtimer {
namespace {

// Sleeps until `deadline` (monotonic ns) the way cyclictest does: an absolute clock_nanosleep, so a
// late wake is never carried into the next deadline.
void SleepUntil(int64_t deadline) {
#if defined(RTIMER_WAIT_LINUX)
  timespec ts{static_cast<time_t>(deadline / 1000000000LL), static_cast<long>(deadline % 1000000000LL)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
#else
  std::this_thread::sleep_until(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::nanoseconds(deadline))));
#endif
}

int64_t ThreadCpuNs() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
#else
  return 0;
#endif
}

}  // namespace

Napi::Function FloorThread::Define(Napi::Env env) {
  return DefineClass(env, "FloorThread",
                     {InstanceMethod<&FloorThread::Start>("start"), InstanceMethod<&FloorThread::Stop>("stop"),
                      InstanceMethod<&FloorThread::Drain>("drain"), InstanceMethod<&FloorThread::Stats>("stats")});
}

FloorThread::FloorThread(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<FloorThread>(info), env_(info.Env()), shared_(std::make_unique<Shared>()) {
  const double iv = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : NAN;
  if (!(iv >= kMinIntervalNs && iv <= kMaxIntervalNs)) {
    throw Napi::RangeError::New(info.Env(), "FloorThread(intervalNs): intervalNs must be a number from " +
                                                std::to_string(kMinIntervalNs) + " to " + std::to_string(kMaxIntervalNs));
  }
  shared_->interval_ns = static_cast<int64_t>(iv);
}

FloorThread::~FloorThread() { StopNow(); }

void FloorThread::Run(Shared* s) noexcept {
  try {
    ThreadSetup setup;
    setup.name = "rtimer:floor";
    SetupCurrentThread(setup, &s->report);  // name and 1 ns timer slack
  } catch (...) {
  }
  s->ready.store(true, std::memory_order_release);
  int64_t next = s->anchor_ns + s->interval_ns;
  uint64_t cycle = 0;
  while (!s->stop.load(std::memory_order_relaxed)) {
    SleepUntil(next);
    const int64_t now = MonotonicNs();
    const int64_t late = now - next;
    const uint64_t head = s->head.load(std::memory_order_relaxed);
    if (head - s->tail.load(std::memory_order_acquire) < kRing) {
      s->ring[head % kRing] = Sample{cycle, late};
      s->head.store(head + 1, std::memory_order_release);
    } else {
      s->dropped.fetch_add(1, std::memory_order_relaxed);
    }
    s->cycles.store(cycle + 1, std::memory_order_relaxed);
    // cyclictest's rule: deadlines already passed are skipped, not run back to back.
    next += s->interval_ns;
    cycle++;
    while (next <= now) {
      next += s->interval_ns;
      cycle++;
      s->skipped.fetch_add(1, std::memory_order_relaxed);
    }
    // The CPU clock is a real system call: read it now and then, after the measurement.
    if ((cycle & 15) == 0) s->cpu_ns.store(ThreadCpuNs(), std::memory_order_relaxed);
  }
  s->cpu_ns.store(ThreadCpuNs(), std::memory_order_relaxed);
}

Napi::Value FloorThread::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (started_) throw Napi::Error::New(env, "FloorThread: start() after start()");
  int64_t anchor = MonotonicNs();
  if (info.Length() > 0 && info[0].IsBigInt()) {
    bool lossless = false;
    anchor = info[0].As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) throw Napi::RangeError::New(env, "FloorThread start(anchorNs): anchorNs out of range");
  }
  shared_->anchor_ns = anchor;
  try {
    thread_ = std::thread(Run, shared_.get());
  } catch (const std::exception& e) {
    Napi::Error err = Napi::Error::New(env, std::string("FloorThread start: ") + e.what());
    err.Set("code", Napi::String::New(env, "ERR_RTIMER_START"));
    throw err;
  }
  started_ = true;
  napi_add_env_cleanup_hook(env, Cleanup, this);
  hooked_ = true;
  return env.Undefined();
}

void FloorThread::StopNow() {
  if (hooked_) {
    napi_remove_env_cleanup_hook(env_, Cleanup, this);
    hooked_ = false;
  }
  shared_->stop.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
}

void FloorThread::Cleanup(void* self) { static_cast<FloorThread*>(self)->StopNow(); }

Napi::Value FloorThread::Stop(const Napi::CallbackInfo& info) {
  StopNow();
  return info.Env().Undefined();
}

Napi::Value FloorThread::Drain(const Napi::CallbackInfo& info) {
  Shared* s = shared_.get();
  const uint64_t head = s->head.load(std::memory_order_acquire);
  const uint64_t tail = s->tail.load(std::memory_order_relaxed);
  const size_t n = static_cast<size_t>(head - tail);
  Napi::Float64Array out = Napi::Float64Array::New(info.Env(), n * 2);
  for (size_t i = 0; i < n; i++) {
    const Sample& x = s->ring[(tail + i) % kRing];
    out[2 * i] = static_cast<double>(x.cycle);
    out[2 * i + 1] = static_cast<double>(x.late_ns);
  }
  s->tail.store(head, std::memory_order_release);
  return out;
}

Napi::Value FloorThread::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Shared* s = shared_.get();
  Napi::Object o = Napi::Object::New(env);
  o.Set("intervalNs", Napi::Number::New(env, static_cast<double>(s->interval_ns)));
  o.Set("cycles", Napi::Number::New(env, static_cast<double>(s->cycles.load(std::memory_order_relaxed))));
  o.Set("skipped", Napi::Number::New(env, static_cast<double>(s->skipped.load(std::memory_order_relaxed))));
  o.Set("dropped", Napi::Number::New(env, static_cast<double>(s->dropped.load(std::memory_order_relaxed))));
  o.Set("cpuNs", Napi::Number::New(env, static_cast<double>(s->cpu_ns.load(std::memory_order_relaxed))));
  o.Set("running", Napi::Boolean::New(env, thread_.joinable()));
  Napi::Array applied = Napi::Array::New(env);
  Napi::Array refused = Napi::Array::New(env);
  if (s->ready.load(std::memory_order_acquire)) {
    for (size_t i = 0; i < s->report.applied.size(); i++) applied.Set(i, s->report.applied[i]);
    for (size_t i = 0; i < s->report.refused.size(); i++) refused.Set(i, s->report.refused[i]);
  }
  o.Set("applied", applied);
  o.Set("refused", refused);
  return o;
}

}  // namespace rtimer
