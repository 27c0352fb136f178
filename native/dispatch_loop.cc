#include "dispatch_loop.h"

#include <algorithm>
#include <stdexcept>

#include "clock.h"

namespace rtimer {
namespace {

void* TypedData(napi_env env, napi_value v, napi_typedarray_type want, size_t* length, const char* what) {
  bool is = false;
  napi_typedarray_type type;
  void* data = nullptr;
  napi_value buffer;
  size_t offset;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, v, &type, length, &data, &buffer, &offset) != napi_ok || type != want ||
      data == nullptr) {
    throw std::invalid_argument(what);
  }
  return data;
}

void ClearException(napi_env env) {
  bool pending = false;
  napi_value ignored;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &ignored);
}

}  // namespace

void DispatchLoop::Register(napi_env env, size_t argc, napi_value* argv) {
  napi_valuetype type;
  bool array = false;
  if (argc < 6 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    throw std::invalid_argument("setDispatchLoop(loop, dispatchers, slots, ticks, times, results): loop must be a function");
  }
  if (napi_is_array(env, argv[1], &array) != napi_ok || !array) throw std::invalid_argument("dispatchers must be an array");
  size_t n_slots, n_ticks, n_times, n_results;
  auto* slots = static_cast<int32_t*>(TypedData(env, argv[2], napi_int32_array, &n_slots, "slots must be an Int32Array"));
  auto* ticks = static_cast<double*>(TypedData(env, argv[3], napi_float64_array, &n_ticks, "ticks must be a Float64Array"));
  auto* times = static_cast<int64_t*>(TypedData(env, argv[4], napi_bigint64_array, &n_times, "times must be a BigInt64Array"));
  auto* results = static_cast<uint8_t*>(TypedData(env, argv[5], napi_uint8_array, &n_results, "results must be a Uint8Array"));
  // times ends with one slot more than two per tick: when the loop had prepared every tick.
  const size_t cap = std::min({n_slots, n_ticks, n_times > 2 ? (n_times - 2) / 2 : 0, n_results});
  if (cap == 0) throw std::invalid_argument("the typed arrays must hold at least one tick");
  if (loop_ != nullptr) throw std::invalid_argument("a dispatch loop is already registered in this environment");
  napi_ref refs[6] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  for (int i = 0; i < 6; i++) {
    if (napi_create_reference(env, argv[i], 1, &refs[i]) != napi_ok) {
      for (int j = 0; j < i; j++) napi_delete_reference(env, refs[j]);
      throw std::invalid_argument("cannot hold the dispatch loop");
    }
  }
  loop_ = refs[0];
  dispatchers_ = refs[1];
  std::copy(refs + 2, refs + 6, buffers_);
  slots_ = slots;
  ticks_ = ticks;
  times_ = times;
  results_ = results;
  cap_ = cap;
  handovers_.resize(cap);
  cores_.resize(cap);
}

int32_t DispatchLoop::Acquire(napi_env env, napi_ref dispatch) {
  if (loop_ == nullptr) return -1;
  napi_value list, fn;
  if (napi_get_reference_value(env, dispatchers_, &list) != napi_ok || list == nullptr ||
      napi_get_reference_value(env, dispatch, &fn) != napi_ok || fn == nullptr) {
    return -1;
  }
  int32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = next_slot_++;
  }
  if (napi_set_element(env, list, static_cast<uint32_t>(slot), fn) != napi_ok) {
    ClearException(env);
    free_.push_back(slot);
    return -1;
  }
  return slot;
}

void DispatchLoop::Release(napi_env env, int32_t slot) {
  if (slot < 0 || loop_ == nullptr) return;
  // Also reached from an environment cleanup hook, where no handle scope is open.
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value list, undefined;
  // During teardown these may fail; the list goes with the environment then.
  if (napi_get_reference_value(env, dispatchers_, &list) == napi_ok && list != nullptr &&
      napi_get_undefined(env, &undefined) == napi_ok && napi_set_element(env, list, static_cast<uint32_t>(slot), undefined) == napi_ok) {
    (running_ > 0 ? retired_ : free_).push_back(slot);
  } else {
    ClearException(env);
  }
  napi_close_handle_scope(env, scope);
}

void DispatchLoop::Run(napi_env env, const std::vector<TimerCore*>& batch, size_t from, size_t to) {
  last_prepared_ = 0;
  last_count_ = 0;
  bool first = true;
  while (from < to) {
    size_t n = 0;
    // One arrival time for the whole batch: it reached the event loop at once.
    const int64_t arrival = MonotonicNs();
    for (; from < to && n < cap_; from++) {
      TimerCore* core = batch[from];
      TimerCore::Handover& h = handovers_[n];
      if (!core->Prepare(&h, arrival)) continue;
      cores_[n] = core;
      slots_[n] = core->loop_slot;
      ticks_[n] = static_cast<double>(h.slot.tick);
      times_[2 * n] = h.slot.deadline;
      times_[2 * n + 1] = 0;
      results_[n] = static_cast<uint8_t>(TimerCore::Outcome::kError);
      n++;
    }
    if (n == 0) continue;
    times_[2 * cap_] = 0;
    napi_value loop, recv, count, result;
    running_++;
    const bool called = napi_get_reference_value(env, loop_, &loop) == napi_ok && loop != nullptr &&
                        napi_get_undefined(env, &recv) == napi_ok &&
                        napi_create_uint32(env, static_cast<uint32_t>(n), &count) == napi_ok &&
                        napi_call_function(env, recv, loop, 1, &count, &result) == napi_ok;
    running_--;
    if (running_ == 0) {
      free_.insert(free_.end(), retired_.begin(), retired_.end());
      retired_.clear();
    }
    // The loop catches what dispatchers throw; a failed call is a terminating environment: every
    // tick it did not get to stays marked as an error (results_ was preset).
    if (!called) ClearException(env);
    if (first) {
      last_prepared_ = times_[2 * cap_];
      last_count_ = n;
      first = false;
    }
    for (size_t i = 0; i < n; i++) {
      const auto outcome = static_cast<TimerCore::Outcome>(std::min<uint8_t>(results_[i], 3));
      const int64_t started = times_[2 * i + 1] != 0 ? times_[2 * i + 1] : handovers_[i].arrival;
      cores_[i]->Finish(env, handovers_[i], outcome, started);
    }
  }
}

}  // namespace rtimer
