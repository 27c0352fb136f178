#include "thread_setup.h"

namespace rtimer {

// Platforms without Linux's knobs: everything asked for is reported as refused, and the timer runs.
void SetupCurrentThread(const ThreadSetup& setup, SetupReport* report) {
  if (setup.priority > 0) report->refused.push_back("priority: not supported on this platform");
  if (!setup.cpus.empty()) report->refused.push_back("cpus: not supported on this platform");
}

bool AcquireMemoryLock(SetupReport* report) {
  report->refused.push_back("mlockall: not supported on this platform");
  return false;
}

void ReleaseMemoryLock() {}

bool SetParentDeathSignal() { return false; }

}  // namespace rtimer
