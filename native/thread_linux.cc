#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstring>

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

void LockProcessMemory(SetupReport* report) {
  if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0) report->applied.push_back("mlockall");
  else report->refused.push_back(std::string("mlockall: ") + std::strerror(errno));
}

void UnlockProcessMemory() { munlockall(); }

bool SetParentDeathSignal() { return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0; }

}  // namespace rtimer
