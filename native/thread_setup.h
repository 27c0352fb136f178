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

// mlockall(MCL_CURRENT | MCL_FUTURE) for the whole process.
void LockProcessMemory(SetupReport* report);

// Linux: the kernel sends SIGKILL to this process when its parent dies, so a dedicated timer
// process can never outlive the process that started it, even one killed with SIGKILL.
bool SetParentDeathSignal();

// Undoes LockProcessMemory. V8 cannot tear an isolate down over locked pages (it aborts in
// OS::SetPermissions), so the environment that locked memory unlocks it before it goes.
void UnlockProcessMemory();

}  // namespace rtimer
