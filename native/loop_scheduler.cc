#include "loop_scheduler.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "clock.h"
#include "dispatch_loop.h"
#include "timer_core.h"

namespace rtimer {
namespace {
struct Later {
  template <typename E>
  bool operator()(const E& a, const E& b) const { return a.wake > b.wake; }
};
constexpr int64_t kSecond = 1000000000LL;
// Ticks are handed over before their deadline by the time the JS loop needs to prepare them (see
// Lead()), plus a margin it spins through, which also covers the time a CPU idle for a whole
// interval takes to wake up. The margin adapts so that ~98% of batches are prepared before their
// deadline, within 1% of the wait (a share of one core) and 2 ms. A CPU idle for a second takes
// longer to wake and to run cold code than the 250 µs this once stopped at (route entry p50 188 µs
// late at 1 s on a 2-vCPU VM); 1% of the wait keeps short intervals where they were.
constexpr int64_t kMaxMarginNs = 2000000;
constexpr int64_t kMarginShare = 100;
constexpr int64_t kMarginStepNs = 1000;
constexpr int64_t kMarginLateSteps = 50;
constexpr int64_t kMaxLeadNs = 20000000;
constexpr int64_t kColdFactor = 4;
// Timers due within this of the first one are counted as due with it.
constexpr int64_t kTogetherNs = 10000;
constexpr size_t kMaxCounted = 1 << 16;
// Moves an estimate towards a sample: up quickly (a route started late), down slowly. A sample
// far above the estimate (a GC or a stall during the first pass) counts as `2 × estimate + slack`:
// one stall must not hand ticks over milliseconds early (spinning) for the next hundred wake-ups.
void Learn(int64_t* estimate, int64_t sample, int64_t slack) {
  sample = std::min(sample, 2 * *estimate + slack);
  *estimate += sample > *estimate ? (sample - *estimate) / 4 : (sample - *estimate) / 16;
}
}  // namespace

LoopScheduler* LoopScheduler::Create(napi_env env, DispatchLoop* dispatch, LoopScheduler** owner) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) throw std::runtime_error("no event loop");
  const int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (tfd < 0) throw std::runtime_error(std::string("timerfd_create failed: ") + std::strerror(errno));
  auto* s = new LoopScheduler(env, dispatch, owner);
  s->tfd_ = tfd;
  napi_value resource, name;
  if (uv_poll_init(loop, &s->poll_, tfd) != 0) {
    close(tfd);
    delete s;
    throw std::runtime_error("uv_poll_init failed");
  }
  s->poll_.data = s;
  // From here the handle is open: failures close it, and OnClosed frees.
  if (uv_poll_start(&s->poll_, UV_READABLE, OnReadable) != 0 || napi_create_object(env, &resource) != napi_ok ||
      napi_create_reference(env, resource, 1, &s->resource_) != napi_ok ||
      napi_create_string_utf8(env, "rtimer:loop", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &s->async_) != napi_ok ||
      napi_add_async_cleanup_hook(env, AsyncCleanup, s, &s->cleanup_) != napi_ok) {
    s->owner_ = nullptr;
    s->Close();
    throw std::runtime_error("cannot poll a timerfd from the event loop");
  }
  uv_unref(reinterpret_cast<uv_handle_t*>(&s->poll_));  // only running ref'd timers hold the loop
  return s;
}

LoopScheduler::~LoopScheduler() {
  for (TimerCore* core : queue_) core->DropRef();
}

void LoopScheduler::DropRef() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

void LoopScheduler::Push(TimerCore* timer) {
  heap_.push_back({timer->NextWake(), timer});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

void LoopScheduler::Add(TimerCore* timer) {
  // Until a batch has run, what a dry run of the JS path cost (TimerOptions::prepare_ns) is the
  // best estimate there is, taken kColdFactor times: the first batch finds its memory cold.
  if (!learned_ && timer->options().prepare_ns > 0) {
    prep_per_ns_ = std::max(prep_per_ns_, kColdFactor * timer->options().prepare_ns);
  }
  Push(timer);
  timers_++;
  Arm();
}

void LoopScheduler::Remove(TimerCore* timer) {
  const auto before = heap_.size();
  heap_.erase(std::remove_if(heap_.begin(), heap_.end(), [timer](const Entry& e) { return e.timer == timer; }),
              heap_.end());
  if (heap_.size() != before) std::make_heap(heap_.begin(), heap_.end(), Later{});
  if (timers_ > 0) timers_--;
  Arm();
}

void LoopScheduler::Resume(TimerCore* timer, int64_t now) {
  timer->Reanchor(now);
  Push(timer);
  Arm();
}

size_t LoopScheduler::DueBy(int64_t when) const {
  // The heap's entries at or before `when`: a walk that stops below any later entry.
  size_t count = 0;
  stack_.clear();
  if (!heap_.empty()) stack_.push_back(0);
  while (!stack_.empty() && count < kMaxCounted) {
    const size_t i = stack_.back();
    stack_.pop_back();
    if (heap_[i].wake > when) continue;
    count++;
    for (size_t c = 2 * i + 1; c <= 2 * i + 2 && c < heap_.size(); c++) stack_.push_back(c);
  }
  return count;
}

int64_t LoopScheduler::Lead(int64_t first, int64_t now, bool count) {
  // Counting walks every timer due with the first: done once per wake-up, not on every Add() of a
  // start() of thousands of timers (which then uses the last count).
  if (count) due_ = DueBy(first + kTogetherNs);
  const auto due = static_cast<int64_t>(due_);
  const int64_t prepare = prep_base_ns_ + prep_per_ns_ * std::max<int64_t>(due - 1, 0);
  // A precision timer's wake-up is already its own lead ahead of its deadline, learned from when
  // JS was ready: a margin on top would be spun through twice.
  const int64_t margin =
      own_lead_ ? 0 : std::clamp<int64_t>(std::min((first - now) / kMarginShare, margin_ns_), 0, kMaxMarginNs);
  // Never a lead of a quarter of the first timer's interval or more: it would be spun through on
  // every tick (an estimate taken on a loaded machine, or a first batch that was slow).
  const int64_t interval = heap_.empty() ? kMaxLeadNs : heap_.front().timer->options().interval_ns;
  return std::clamp<int64_t>(prepare + margin, 0, std::min(kMaxLeadNs, interval / 4));
}

void LoopScheduler::Arm(bool count) {
  // Inside Run() the timerfd is set once, at its end: every timerfd_settime reprograms a hardware
  // timer, which costs microseconds on a virtual machine.
  if (closing_ || running_) return;
  // A queued tick (a catch-up) is delivered on the next turn of the loop: the timerfd fires at once.
  int64_t want = 0;
  lead_ = 0;
  if (!queue_.empty()) {
    want = 1;
  } else if (!heap_.empty()) {
    own_lead_ = heap_.front().timer->OwnLead();
    lead_ = Lead(heap_.front().wake, MonotonicNs(), count);
    want = std::max<int64_t>(heap_.front().wake - lead_, 1);
  }
  if (want == armed_) return;
  itimerspec spec{};
  spec.it_value = {static_cast<time_t>(want / kSecond), static_cast<long>(want % kSecond)};
  if (timerfd_settime(tfd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    // Counted; the next Add/Remove/turn tries again. A zero deadline disarms, which is what 0 means.
    wait_errors_++;
    armed_ = -1;
    return;
  }
  armed_ = want;
}

void LoopScheduler::OnReadable(uv_poll_t* handle, int status, int events) {
  auto* s = static_cast<LoopScheduler*>(handle->data);
  if (s == nullptr || s->closing_) return;
  uint64_t expirations;
  (void)!read(s->tfd_, &expirations, sizeof expirations);
  const int64_t target = s->armed_;
  s->armed_ = 0;
  s->AddRef();  // a route may stop the last timer and close this meanwhile
  s->Run(target);
  s->DropRef();
}

void LoopScheduler::Run(int64_t target) {
  running_ = true;
  const int64_t now = MonotonicNs();
  const int64_t woke = target > 1 ? now - target : 0;
  // Every tick due before now + lead is handed over now, at most one per timer: the JS loop
  // prepares them all (contexts built, each timer's memory brought into the cache), then runs
  // each at its deadline. A thousand timers due at once no longer wait for each other's
  // preparation, only for the routes before them.
  const int64_t until = now + lead_;
  const int64_t first = heap_.empty() ? 0 : heap_.front().wake;
  fired_.clear();
  while (!heap_.empty() && heap_.front().wake <= until) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    TimerCore* t = heap_.back().timer;
    const int64_t wake = heap_.back().wake;
    heap_.pop_back();
    t->Fire(std::max(now, wake), woke);
    if (!t->Stalled()) fired_.push_back(t);
  }
  for (TimerCore* t : fired_) Push(t);
  Deliver();
  if (loop_ != nullptr && loop_->LastPrepared() > now) {
    const int64_t took = loop_->LastPrepared() - now;
    // Only batches handed over early say whether the margin was enough (a catch-up never is).
    if (lead_ > 0 && first > 0 && !own_lead_) {
      // Late: up by how late, at most doubling (at 1 s a fixed step would take a minute of late
      // ticks; one stall must not make every later tick spin the cap, as in Learn()).
      const int64_t late = loop_->LastPrepared() - first;
      const int64_t up = std::clamp<int64_t>(late, kMarginLateSteps * kMarginStepNs, std::max<int64_t>(margin_ns_, kMarginLateSteps * kMarginStepNs));
      const int64_t margin = margin_ns_ + (late > 0 ? up : -kMarginStepNs);
      margin_ns_ = std::clamp<int64_t>(margin, 0, kMaxMarginNs);
    }
    // took ≈ base + per × (n − 1): small batches teach the base, large ones the per-tick part.
    // Every batch teaches one of them, so a lead that grew (a cold first batch) comes down again.
    const auto more = static_cast<int64_t>(loop_->LastCount()) - 1;
    if (more < 8) {
      Learn(&prep_base_ns_, std::max<int64_t>(took - prep_per_ns_ * more, 0), 20000);
    } else if (!learned_) {
      // The first real batch brings the dry run's estimate (see Add()) down to what it took, at
      // once; a first batch slower than the estimate (cold) does not set it, later ones teach it.
      prep_per_ns_ = std::min(prep_per_ns_, std::max<int64_t>(took - prep_base_ns_, 0) / more);
      learned_ = true;
    } else {
      Learn(&prep_per_ns_, std::max<int64_t>(took - prep_base_ns_, 0) / more, 200);
    }
  }
  running_ = false;
  Arm(true);
}

void LoopScheduler::Deliver() {
  if (queue_.empty()) return;
  batch_.swap(queue_);
  batches_++;
  napi_env env = env_;
  napi_handle_scope handles;
  if (napi_open_handle_scope(env, &handles) != napi_ok) env = nullptr;
  // A callback scope, as a thread-safe function has: promise jobs and nextTicks the routes queued
  // run when it closes, and async_hooks see one callback.
  napi_callback_scope scope = nullptr;
  napi_value resource;
  if (env != nullptr && (napi_get_reference_value(env, resource_, &resource) != napi_ok ||
                         napi_open_callback_scope(env, resource, async_, &scope) != napi_ok)) {
    scope = nullptr;
  }
  // Copied out: a route's catch-up may queue again while this batch runs.
  std::vector<TimerCore*> batch;
  batch.swap(batch_);
  DispatchLoop::DeliverBatch(env, loop_, batch, [this, env](TimerCore* core) {
    core->queued_--;
    if (env != nullptr) core->Drained(env, this);
    core->DropRef();
  });
  batch.clear();
  batch_.swap(batch);  // keeps the capacity
  if (scope != nullptr) napi_close_callback_scope(env, scope);
  if (env != nullptr) napi_close_handle_scope(env, handles);
}

bool LoopScheduler::Post(TimerCore* core) {
  if (closing_) return false;
  core->AddRef();
  core->queued_++;
  queue_.push_back(core);
  Arm();
  return true;
}

bool LoopScheduler::Queued(const TimerCore* core) { return core->queued_ > 0; }

void LoopScheduler::Hold(napi_env) {
  if (holds_++ == 0 && !closing_) uv_ref(reinterpret_cast<uv_handle_t*>(&poll_));
}

void LoopScheduler::Unhold(napi_env) {
  if (holds_ > 0 && --holds_ == 0 && !closing_) uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
}

void LoopScheduler::Close() {
  if (closing_) return;
  if (owner_ != nullptr && *owner_ == this) *owner_ = nullptr;
  owner_ = nullptr;
  // Only stopped timers can be queued now: their ticks are counted missed, nothing runs, and the
  // stop() that waited for each to drain settles (also from a teardown hook, where no scope is open).
  napi_handle_scope scope = nullptr;
  if (!queue_.empty() && napi_open_handle_scope(env_, &scope) != napi_ok) scope = nullptr;
  for (TimerCore* core : queue_) {
    TimerCore::Handover h;
    core->Prepare(&h, MonotonicNs());
    core->queued_--;
    if (scope != nullptr) core->Drained(env_, this);
    core->DropRef();
  }
  queue_.clear();
  if (scope != nullptr) napi_close_handle_scope(env_, scope);
  closing_ = true;
  uv_poll_stop(&poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnClosed);
  DropRef();  // the owner's; the handle's goes in OnClosed
}

void LoopScheduler::OnClosed(uv_handle_t* handle) {
  auto* s = static_cast<LoopScheduler*>(handle->data);
  close(s->tfd_);
  s->tfd_ = -1;
  if (s->async_ != nullptr) napi_async_destroy(s->env_, s->async_);
  if (s->resource_ != nullptr) napi_delete_reference(s->env_, s->resource_);
  s->async_ = nullptr;
  s->resource_ = nullptr;
  // Node waits for this before it tears the environment down.
  if (s->cleanup_ != nullptr) napi_remove_async_cleanup_hook(s->cleanup_);
  s->cleanup_ = nullptr;
  s->DropRef();
}

void LoopScheduler::AsyncCleanup(napi_async_cleanup_hook_handle, void* arg) {
  // Closing already (its last timer stopped): OnClosed removes this hook.
  static_cast<LoopScheduler*>(arg)->Close();
}

}  // namespace rtimer
