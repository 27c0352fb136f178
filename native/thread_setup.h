#pragma once
#include <string>
#include <vector>

namespace rtimer {

struct ThreadSetup {
  std::string name;        // shown by ps/top; truncated to 15 bytes on Linux
  int priority = 0;        // 0: leave SCHED_OTHER
  bool round_robin = false;
  std::vector<int> cpus;   // empty: any CPU
};

// What a real-time request got: each knob lands in one list, with the reason when refused.
struct SetupReport {
  std::vector<std::string> applied;
  std::vector<std::string> refused;
};

// Applied by the timer thread to itself: name, 1 ns timer slack, then the opt-in knobs.
void SetupCurrentThread(const ThreadSetup& setup, SetupReport* report);

// Takes one reference on the process-wide memory lock: the first one calls
// mlockall(MCL_CURRENT | MCL_ONFAULT), which locks the mappings the process has now, page by page
// as they are touched, then unlocks the PROT_NONE ones again. V8 makes pages inaccessible with
// madvise(MADV_DONTNEED), which fails on locked pages, and then aborts the process: with
// MCL_FUTURE (with or without MCL_ONFAULT) the next new Worker() does it, and so does a code
// chunk carved out of a reservation (a PROT_NONE mapping) made before the lock. Refused, with the
// reason in `report`, on a thread other than the process's main thread: a worker_threads
// environment must not take (or undo at its exit) a lock the whole process shares. Returns whether
// a reference was taken.
bool AcquireMemoryLock(SetupReport* report);

// Linux: the kernel sends SIGKILL to this process when its parent dies, so a dedicated timer
// process can never outlive the process that started it, even one killed with SIGKILL.
bool SetParentDeathSignal();

// Drops a reference taken by AcquireMemoryLock; the last one calls munlockall().
void ReleaseMemoryLock();

}  // namespace rtimer
