#include "timer_core.h"

#include <algorithm>

#include "clock.h"
#include "sink.h"

namespace rtimer {

TimerCore::TimerCore(TimerOptions options) : options_(std::move(options)) {
  if (options_.precision_budget > 0) {
    max_lead_ns_ = static_cast<int64_t>(options_.precision_budget * static_cast<double>(options_.interval_ns));
    // Starts at 5% of the interval (100..500 µs, within the budget) and adapts from there: the
    // hand-over to JS can take a few hundred µs after a long idle, and a lead that starts too
    // short makes the first ticks late until it has grown. Waking takes no longer at 1 s than at
    // 20 ms, so the start does not grow with the interval (a longer one would be spun through for
    // the thousands of ticks the lead takes to come down).
    const int64_t start = std::clamp<int64_t>(options_.interval_ns / 20, 100000, 500000);
    lead_ns_.store(std::min<int64_t>(max_lead_ns_, start), std::memory_order_relaxed);
  }
}

void TimerCore::Arm(Sink* delivery, napi_ref dispatch, TimerHost* scheduler, int64_t anchor_ns, int64_t now) {
  delivery_ = delivery;
  dispatch_ = dispatch;
  scheduler_ = scheduler;
  const SetupReport& thread = scheduler->Report();
  report.applied.insert(report.applied.end(), thread.applied.begin(), thread.applied.end());
  report.refused.insert(report.refused.end(), thread.refused.begin(), thread.refused.end());
  armed_at_ = now;
  base_ = anchor_ns;
  // A past anchor (a restarted worker keeping its phase) resumes at the next deadline after now.
  k_ = now < base_ + options_.interval_ns ? 1 : static_cast<uint64_t>((now - base_) / options_.interval_ns) + 1;
  tick_offset_ = 0;
}

int64_t TimerCore::NextWake() const { return Deadline(k_) - lead_ns_.load(std::memory_order_relaxed); }

void TimerCore::Fire(int64_t now, int64_t woke_late) {
  const int64_t lead = lead_ns_.load(std::memory_order_relaxed);
  // Woken by the event loop, a tick handed over records its wake-up after the routes ran: with a
  // thousand timers due at once, every histogram touched before the first route delays them all.
  // Anything else records now (on the timer thread, the histogram's only writer then).
  const int64_t woke = woke_late != kNoWake ? woke_late : now - (Deadline(k_) - lead);
  const int64_t later = on_loop ? woke : kNoWake;
  if (!on_loop) wake_.Record(woke);
  const uint64_t last = std::max<uint64_t>(k_, static_cast<uint64_t>((now + lead - base_) / options_.interval_ns));
  const uint64_t n = last - k_ + 1;  // deadlines due now; more than one when the thread woke late
  const uint64_t max_owed = options_.max_burst;
  Add(ticks_, options_.policy == Policy::kDelay ? 1 : n);

  // One compare-and-swap decides: hand a tick to JS (busy was clear), or owe / stall / miss it.
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    const bool busy = s & kBusy;
    uint64_t next = s | kBusy;
    if (options_.policy == Policy::kBurst) {
      // The owed window keeps the newest ticks: it ends at the last one due, the oldest drop out.
      next = Pack(std::min<uint64_t>(busy ? Owed(s) + n : n - 1, max_owed), tick_offset_ + last);
    } else if (busy && options_.policy == Policy::kDelay) {
      stalled_slot_ = {tick_offset_ + k_, Deadline(k_), 0};
      next = s | kStalled;
    }
    if (!state_.compare_exchange_weak(s, next, std::memory_order_acq_rel)) continue;
    switch (options_.policy) {
      case Policy::kSkip:
        Add(missed_, busy ? n : n - 1);
        if (!busy) Post(tick_offset_ + last, Deadline(last), now, true, later);
        else if (on_loop) wake_.Record(woke);
        break;
      case Policy::kBurst: {
        const uint64_t owed = Owed(next);
        Add(missed_, (busy ? Owed(s) + n : n - 1) - owed);
        if (!busy) Post(tick_offset_ + last - owed, Deadline(last - owed), now, owed == 0, later);
        else if (on_loop) wake_.Record(woke);
        break;
      }
      case Policy::kDelay:
        if (busy) {
          if (on_loop) wake_.Record(woke);
          stalled_ = true;
          return;
        }
        Post(tick_offset_ + k_, Deadline(k_), now, n == 1, later);
        // A thread that woke a whole interval late re-anchors rather than running behind.
        if (n > 1) {
          Reanchor(now);
          return;
        }
        break;
    }
    k_ = last + 1;
    return;
  }
}

void TimerCore::Reanchor(int64_t now) {
  tick_offset_ += k_;
  base_ = now;
  k_ = 1;
  stalled_ = false;
}

void TimerCore::Post(uint64_t tick, int64_t deadline, int64_t now, bool regular, int64_t wake) {
  slot_ = {tick, deadline, now, regular, wake};
  if (!delivery_->Post(this)) {
    // The function is closing: nothing will deliver this tick, so it is missed and busy is cleared.
    Add(missed_, 1);
    state_.store(0, std::memory_order_release);
  }
}

void TimerCore::Adapt(int64_t early) {
  // Tracks the lead that arrives early ~99.5% of the time: a late arrival pushes it up 199 steps, an
  // early one lowers it one step; it never exceeds the CPU budget's share of the interval. The step
  // is 1/256 of the lead (at least 100 ns): how late a wake-up comes does not scale with the
  // interval, and a fixed step of interval/5000 (200 µs at 1 s) made one late tick spin 40 ms per
  // tick for hundreds of ticks after; a step in proportion halves a start-up lead in ~180 ticks.
  const int64_t current = lead_ns_.load(std::memory_order_relaxed);
  const int64_t step = std::max<int64_t>(100, current / 256);
  int64_t lead = current + (early < 0 ? 199 * step : -step);
  lead_ns_.store(std::clamp<int64_t>(lead, 0, max_lead_ns_), std::memory_order_relaxed);
}

namespace {
void ClearException(napi_env env) {
  bool pending = false;
  napi_value ignored;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &ignored);
}
}  // namespace

bool TimerCore::Prepare(Handover* h, int64_t arrival) {
  h->slot = slot_;
  h->arrival = arrival;
  if (stopped_) {
    if (h->slot.wake != kNoWake) wake_.Record(h->slot.wake);
    Add(missed_, 1);
    state_.store(0, std::memory_order_release);
    return false;
  }
  // With a spin report, JS builds the call, spins and reports; the native spin would leave the
  // dispatcher, context and message to run cold after the deadline, where the route feels them.
  h->js_spin = max_lead_ns_ > 0 && spin_report_ != nullptr;
  if (h->js_spin) spin_report_[0] = spin_report_[1] = 0;
  return true;
}

void TimerCore::RecordLater(const Handover& h) {
  hop_.Record(h.arrival - h.slot.posted);
  if (h.slot.wake != kNoWake) wake_.Record(h.slot.wake);
}

void TimerCore::Finish(napi_env env, const Handover& h, Outcome outcome, int64_t started) {
  RecordLater(h);
  if (outcome == Outcome::kStopped) {  // stopped by an earlier route of the same batch
    Add(missed_, 1);
    state_.store(0, std::memory_order_release);
    return;
  }
  Add(executions_, 1);
  if (h.js_spin) JsSpinDone(h.slot);
  else callback_.Record(started - h.slot.deadline);
  // The dispatcher catches route errors itself; this is a terminating environment or our bug.
  if (outcome == Outcome::kError) Add(errors_, 1);
  if (outcome == Outcome::kAsync || !Complete()) return;
  // A catch-up is due: the defer function runs CatchUp() from a setImmediate. Without one (the
  // raw binding used directly) or if it cannot be called (a terminating environment), hand over now.
  napi_value defer, recv, result;
  if (defer_ == nullptr || napi_get_reference_value(env, defer_, &defer) != napi_ok || defer == nullptr ||
      napi_get_undefined(env, &recv) != napi_ok || napi_call_function(env, recv, defer, 0, nullptr, &result) != napi_ok) {
    ClearException(env);
    CatchUp();
  }
}

void TimerCore::Deliver(napi_env env) {
  Handover h;
  if (!Prepare(&h, MonotonicNs())) return;
  napi_value fn;
  if (napi_get_reference_value(env, dispatch_, &fn) != napi_ok || fn == nullptr) {
    Finish(env, h, Outcome::kStopped, 0);
    return;
  }
  if (NativeSpin()) {
    const int64_t early = h.slot.deadline - h.arrival;
    if (h.slot.regular) Adapt(early);
    if (early > 0) Add(spin_ns_, static_cast<uint64_t>(SpinUntil(h.slot.deadline) - h.arrival));
  }
  // The event loop hands ticks over a little ahead of their deadline (see LoopScheduler); a route
  // never starts before it.
  const int64_t started = h.js_spin ? 0 : h.slot.deadline > h.arrival ? SpinUntil(h.slot.deadline) : MonotonicNs();
  // Plain N-API calls with checked statuses: while an environment terminates (worker.terminate(),
  // process.exit()), node-addon-api's exception path would itself abort the process.
  Outcome outcome = Outcome::kSync;
  napi_value argv[3], recv, result;
  const size_t argc = h.js_spin ? 2 : 3;
  if (napi_create_double(env, static_cast<double>(h.slot.tick), &argv[0]) != napi_ok ||
      napi_create_bigint_int64(env, h.slot.deadline, &argv[1]) != napi_ok ||
      (!h.js_spin && napi_create_bigint_int64(env, started, &argv[2]) != napi_ok) ||
      napi_get_undefined(env, &recv) != napi_ok || napi_call_function(env, recv, fn, argc, argv, &result) != napi_ok) {
    outcome = Outcome::kError;
    ClearException(env);
  } else {
    napi_valuetype type;
    bool async = false;
    if (napi_typeof(env, result, &type) == napi_ok && type == napi_boolean &&
        napi_get_value_bool(env, result, &async) == napi_ok && async) {
      outcome = Outcome::kAsync;
    }
  }
  Finish(env, h, outcome, started);
}

void TimerCore::JsSpinDone(const Slot& slot) {
  const int64_t ready = spin_report_[0], started = spin_report_[1];
  if (started == 0) return;  // the dispatcher failed before the route: nothing to learn from
  callback_.Record(started - slot.deadline);
  if (slot.regular) Adapt(slot.deadline - ready);
  if (started > ready) Add(spin_ns_, static_cast<uint64_t>(started - ready));
}

bool TimerCore::Complete() {
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    // Owed and stalled ticks imply busy; after stop they are already counted as missed.
    if (!stopped_ && (s & kBusy) && (Owed(s) || (s & kStalled))) return true;
    if (state_.compare_exchange_weak(s, 0, std::memory_order_acq_rel)) return false;
  }
}

void TimerCore::CatchUp() {
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (stopped_ || !(s & kBusy)) {
      if (state_.compare_exchange_weak(s, 0, std::memory_order_acq_rel)) return;
      continue;
    }
    if (const uint64_t owed = Owed(s)) {
      const uint64_t newest_low = s >> kNewestShift;
      if (!state_.compare_exchange_weak(s, Pack(owed - 1, newest_low), std::memory_order_acq_rel)) continue;
      // The newest owed tick is at least the one last handed over: widen its low bits from there.
      uint64_t newest = (slot_.tick & ~kNewestMask) | newest_low;
      if (newest < slot_.tick) newest += kNewestMask + 1;
      const uint64_t tick = newest - (owed - 1);  // the oldest owed; burst never re-anchors
      Post(tick, base_ + static_cast<int64_t>(tick) * options_.interval_ns, MonotonicNs(), false);
      return;
    }
    if (s & kStalled) {
      if (!state_.compare_exchange_weak(s, s & ~kStalled, std::memory_order_acq_rel)) continue;
      const int64_t now = MonotonicNs();
      const Slot late = stalled_slot_;
      scheduler_->Resume(this, now);
      Post(late.tick, late.deadline, now, false);
      return;
    }
    if (state_.compare_exchange_weak(s, 0, std::memory_order_acq_rel)) return;
  }
}

void TimerCore::Drained(napi_env env, Sink* delivery) {
  if (!stopped_ || on_closed == nullptr || queued_ > 0) return;
  napi_deferred d = on_closed;
  on_closed = nullptr;
  napi_value undefined;
  if (napi_get_undefined(env, &undefined) == napi_ok) napi_resolve_deferred(env, d, undefined);
  delivery->Unhold(env);
}

void TimerCore::MarkStopped() {
  stopped_ = true;
  defer_ = nullptr;
  dispatch_ = nullptr;
  if (delivery_ != nullptr) batches_ = delivery_->Batches();
  delivery_ = nullptr;
  if (scheduler_ != nullptr) wait_errors_ = scheduler_->WaitErrors();
  scheduler_ = nullptr;
  // The scheduler no longer touches this timer: its owed and stalled ticks are final, and missed.
  const uint64_t s = state_.fetch_and(kBusy, std::memory_order_acq_rel);
  Add(missed_, Owed(s) + ((s & kStalled) ? 1 : 0));
}

namespace {
Napi::Value Snapshot(Napi::Env env, const Histogram& h) {
  std::vector<double> v;
  h.Snapshot(&v);
  Napi::Float64Array out = Napi::Float64Array::New(env, v.size());
  std::copy(v.begin(), v.end(), out.Data());
  return out;
}

Napi::Array Strings(Napi::Env env, const std::vector<std::string>& list) {
  Napi::Array a = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); i++) a.Set(i, list[i]);
  return a;
}
}  // namespace

Napi::Object TimerCore::Stats(Napi::Env env) const {
  Napi::Object o = Napi::Object::New(env);
  const auto load = [](const std::atomic<uint64_t>& a) { return static_cast<double>(a.load(std::memory_order_relaxed)); };
  o.Set("ticks", load(ticks_));
  o.Set("executions", load(executions_));
  o.Set("missed", load(missed_));
  o.Set("dispatchErrors", load(errors_));
  o.Set("wake", Snapshot(env, wake_));
  o.Set("callback", Snapshot(env, callback_));
  o.Set("hop", Snapshot(env, hop_));
  o.Set("leadNs", static_cast<double>(lead_ns_.load(std::memory_order_relaxed)));
  o.Set("spinNs", load(spin_ns_));
  o.Set("batches", static_cast<double>(delivery_ != nullptr ? delivery_->Batches() : batches_));
  o.Set("waitErrors", static_cast<double>(scheduler_ != nullptr ? scheduler_->WaitErrors() : wait_errors_));
  o.Set("elapsedNs", armed_at_ ? static_cast<double>(MonotonicNs() - armed_at_) : 0.0);
  o.Set("applied", Strings(env, report.applied));
  o.Set("refused", Strings(env, report.refused));
  o.Set("thread", options_.own_thread ? "own" : "shared");
  o.Set("wakeBy", on_loop ? "loop" : "thread");
  return o;
}

}  // namespace rtimer
