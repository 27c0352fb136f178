#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "thread_setup.h"

namespace rtimer {

void SetupCurrentThread(const ThreadSetup& setup, SetupReport* report) {
  pthread_setname_np(pthread_self(), setup.name.substr(0, 15).c_str());
  // The default 50 us slack would add ~50 us to every wake of this thread.
  if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) == 0) report->applied.push_back("timerslack=1ns");
  else report->refused.push_back(std::string("timerslack: ") + std::strerror(errno));

  if (setup.priority > 0) {
    sched_param sp{};
    sp.sched_priority = setup.priority;
    const int policy = setup.round_robin ? SCHED_RR : SCHED_FIFO;
    const std::string what = std::string(setup.round_robin ? "SCHED_RR" : "SCHED_FIFO") + " " + std::to_string(setup.priority);
    const int err = pthread_setschedparam(pthread_self(), policy, &sp);
    if (err == 0) report->applied.push_back(what);
    else report->refused.push_back(what + ": " + std::strerror(err));
  }
  if (!setup.cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::string what = "cpus=";
    for (size_t i = 0; i < setup.cpus.size(); i++) {
      if (setup.cpus[i] >= 0 && setup.cpus[i] < CPU_SETSIZE) CPU_SET(setup.cpus[i], &set);
      what += (i ? "," : "") + std::to_string(setup.cpus[i]);
    }
    const int err = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (err == 0) report->applied.push_back(what);
    else report->refused.push_back(what + ": " + std::strerror(err));
  }
}

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4  // Linux 4.4; older C libraries lack the name
#endif

namespace {
// The lock belongs to the process, not to one environment: plain process-wide state (no Napi
// object), counted so that it is released when the last timer that asked for it stops.
std::mutex lock_mu;
int lock_refs = 0;
// V8 reserves address space as PROT_NONE mappings and later carves pages out of them, making the
// guard pages between them inaccessible again with madvise(MADV_DONTNEED), which fails on locked
// pages and makes V8 abort. Unlocking the PROT_NONE mappings right after mlockall keeps the pages
// in use locked while the reservations stay free for V8 to use.
void UnlockReservations() {
  FILE* maps = std::fopen("/proc/self/maps", "re");
  if (maps == nullptr) return;
  char line[512];
  while (std::fgets(line, sizeof line, maps) != nullptr) {
    unsigned long start, end;
    char perms[5];
    if (std::sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 && std::strncmp(perms, "---", 3) == 0) {
      munlock(reinterpret_cast<void*>(start), end - start);
    }
  }
  std::fclose(maps);
}

}  // namespace

bool AcquireMemoryLock(SetupReport* report) {
  if (syscall(SYS_gettid) != getpid()) {
    report->refused.push_back("mlockall: refused in a worker thread (the lock is process-wide; ask for it on the main thread)");
    return false;
  }
  std::lock_guard<std::mutex> lock(lock_mu);
  if (lock_refs == 0 && mlockall(MCL_CURRENT | MCL_ONFAULT) != 0) {
    const int err = errno;
    report->refused.push_back(std::string("mlockall: ") +
                              (err == EINVAL ? "MCL_ONFAULT needs Linux 4.4 or later" : std::strerror(err)));
    return false;
  }
  if (lock_refs == 0) UnlockReservations();
  lock_refs++;
  report->applied.push_back("mlockall");
  return true;
}

void ReleaseMemoryLock() {
  std::lock_guard<std::mutex> lock(lock_mu);
  if (lock_refs > 0 && --lock_refs == 0) munlockall();
}

bool SetParentDeathSignal() { return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0; }

}  // namespace rtimer
