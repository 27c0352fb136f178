#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

namespace rtimer {

// Log-linear histogram of nanoseconds with 32 sub-buckets per power of two (~3% resolution); the
// layout matches lib/stats/histogram.ts. One thread records (relaxed loads and stores, no locks,
// no allocation); any thread may take a snapshot, which is consistent enough for statistics.
class Histogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxExp = 47;
  static constexpr int kBuckets = kSub + (kMaxExp - kSubBits + 1) * kSub;
  // Snapshot layout: count, min, max, sum, sumSq, exceeds, then kBuckets counts.
  static constexpr int kHeader = 6;

  Histogram();
  void Record(int64_t ns);
  void Snapshot(std::vector<double>* out) const;

 private:
  static int BucketOf(uint64_t v);
  template <typename T>
  static void Bump(std::atomic<T>& a, T by) {
    a.store(a.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

  // The summary first: a record touches its cache line and one bucket's, on one page (a thousand
  // timers' histograms do not fit in the cache, so every line and page touched is a miss).
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> exceeds_{0};
  std::atomic<int64_t> min_{INT64_MAX};
  std::atomic<int64_t> max_{0};
  std::atomic<double> sum_{0};
  std::atomic<double> sum_sq_{0};
  std::atomic<uint64_t> counts_[kBuckets];
};

}  // namespace rtimer
