#include "histogram.h"

#if defined(_MSC_VER)
#include <intrin.h>
#endif

namespace rtimer {

Histogram::Histogram() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
}

int Histogram::BucketOf(uint64_t v) {
  if (v < static_cast<uint64_t>(kSub)) return static_cast<int>(v);
#if defined(_MSC_VER)
  unsigned long msb;
  _BitScanReverse64(&msb, v);
  const int e = static_cast<int>(msb);
#else
  const int e = 63 - __builtin_clzll(v);
#endif
  const int sub = static_cast<int>(v >> (e - kSubBits)) - kSub;
  return kSub + (e - kSubBits) * kSub + sub;
}

void Histogram::Record(int64_t ns) {
  const uint64_t v = ns > 0 ? static_cast<uint64_t>(ns) : 0;
  if (v >> (kMaxExp + 1)) {
    Bump<uint64_t>(exceeds_, 1);
    return;
  }
  Bump<uint64_t>(counts_[BucketOf(v)], 1);
  Bump<uint64_t>(count_, 1);
  const auto sv = static_cast<int64_t>(v);
  if (sv < min_.load(std::memory_order_relaxed)) min_.store(sv, std::memory_order_relaxed);
  if (sv > max_.load(std::memory_order_relaxed)) max_.store(sv, std::memory_order_relaxed);
  const double d = static_cast<double>(v);
  Bump<double>(sum_, d);
  Bump<double>(sum_sq_, d * d);
}

void Histogram::Snapshot(std::vector<double>* out) const {
  out->assign(kHeader + kBuckets, 0.0);
  auto& o = *out;
  const uint64_t n = count_.load(std::memory_order_relaxed);
  o[0] = static_cast<double>(n);
  o[1] = n ? static_cast<double>(min_.load(std::memory_order_relaxed)) : 0.0;
  o[2] = static_cast<double>(max_.load(std::memory_order_relaxed));
  o[3] = sum_.load(std::memory_order_relaxed);
  o[4] = sum_sq_.load(std::memory_order_relaxed);
  o[5] = static_cast<double>(exceeds_.load(std::memory_order_relaxed));
  for (int i = 0; i < kBuckets; i++) o[kHeader + i] = static_cast<double>(counts_[i].load(std::memory_order_relaxed));
}

}  // namespace rtimer
