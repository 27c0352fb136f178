#include "delivery.h"

#include <stdexcept>

#include "addon_state.h"
#include "timer_core.h"

namespace rtimer {

Delivery* Delivery::Create(napi_env env, const std::string& name) {
  Delivery* d = new Delivery();
  napi_value resource;
  if (napi_create_string_utf8(env, name.c_str(), name.size(), &resource) != napi_ok ||
      napi_create_threadsafe_function(env, nullptr, nullptr, resource, 0, 1, d, Finalize, d, CallJs, &d->tsfn_) != napi_ok) {
    delete d;
    throw std::runtime_error("cannot create the thread-safe function " + name);
  }
  // Only running ref'd timers keep the loop alive (Hold()).
  if (napi_unref_threadsafe_function(env, d->tsfn_) != napi_ok) {
    napi_release_threadsafe_function(d->tsfn_, napi_tsfn_abort);  // its finalizer drops one reference
    d->DropRef();
    throw std::runtime_error("cannot unref the thread-safe function " + name);
  }
  return d;
}

bool Delivery::Post(TimerCore* core) {
  std::lock_guard<std::mutex> lock(mu_);
  core->AddRef();
  core->queued_++;
  queue_.push_back(core);
  // A call is pending whenever the queue is not empty: one call per batch, never per tick.
  if (queue_.size() > 1) return true;
  // The pending call holds a reference: on teardown Node finalizes the function first and then
  // still hands its queued calls to CallJs (with a null env).
  AddRef();
  if (napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking) == napi_ok) return true;
  refs_.fetch_sub(1, std::memory_order_acq_rel);  // never the last: the caller's owner holds one
  queue_.pop_back();
  core->queued_--;
  core->DropRef();
  return false;
}

bool Delivery::Queued(const TimerCore* core) {
  std::lock_guard<std::mutex> lock(mu_);
  return core->queued_ > 0;
}

void Delivery::Hold(napi_env env) {
  // A closing function cannot keep anything alive; its status says so and changes nothing.
  if (holds_++ == 0 && !closed_) napi_ref_threadsafe_function(env, tsfn_);
}

void Delivery::Unhold(napi_env env) {
  if (holds_ > 0 && --holds_ == 0 && !closed_) napi_unref_threadsafe_function(env, tsfn_);
}

void Delivery::CallJs(napi_env env, napi_value, void* context, void*) {
  Delivery* d = static_cast<Delivery*>(context);
  if (d == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(d->mu_);
    d->batch_.swap(d->queue_);
  }
  if (!d->batch_.empty()) d->batches_.fetch_add(1, std::memory_order_relaxed);
  // Every core stays referenced until its entry is done, whatever its route does (stop, GC).
  auto done = [env, d](TimerCore* core) {
    {
      std::lock_guard<std::mutex> lock(d->mu_);
      core->queued_--;  // a catch-up may have queued it again meanwhile: then it stays queued
    }
    if (env != nullptr) core->Drained(env, d);
    core->DropRef();
  };
  // env is null when the environment is being torn down: nothing may run then.
  AddonState* state = nullptr;
  if (env != nullptr && napi_get_instance_data(env, reinterpret_cast<void**>(&state)) != napi_ok) state = nullptr;
  DispatchLoop::DeliverBatch(env, state != nullptr ? &state->loop : nullptr, d->batch_, done);
  d->batch_.clear();
  d->DropRef();  // the call's reference (see Post)
}

void Delivery::Finalize(napi_env, void* data, void*) {
  Delivery* d = static_cast<Delivery*>(data);
  d->closed_ = true;
  d->DropRef();
}

void Delivery::Release() {
  if (!closed_) napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
  DropRef();
}

Delivery::~Delivery() {
  // Only after a teardown that closed the function with ticks still queued.
  for (TimerCore* core : queue_) core->DropRef();
}

void Delivery::DropRef() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

}  // namespace rtimer
