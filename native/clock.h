#pragma once
#include <cstdint>

namespace rtimer {

// Nanoseconds on the monotonic clock that process.hrtime.bigint() also reads (libuv's uv_hrtime
// uses CLOCK_MONOTONIC on Linux), so native and JS timestamps compare directly.
int64_t MonotonicNs();

// Nanoseconds on the wall clock (CLOCK_REALTIME), for aligning a schedule once at start.
int64_t RealtimeNs();

// Busy-waits until the monotonic clock reaches `deadline`; returns the time it read last.
int64_t SpinUntil(int64_t deadline);

}  // namespace rtimer
