#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "waiter.h"

namespace rtimer {
namespace {

class TimerfdWaiter final : public Waiter {
 public:
  TimerfdWaiter() {
    tfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    efd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (tfd_ < 0 || efd_ < 0) {
      Close();
      throw std::runtime_error("timerfd_create/eventfd failed");
    }
  }
  ~TimerfdWaiter() override { Close(); }

  bool WaitUntil(int64_t deadline_ns) override {
    itimerspec spec{};
    const bool timed = deadline_ns != kForever;
    if (timed) {
      // A zero it_value disarms a timerfd, so a deadline at or before 0 is moved to 1 ns.
      const int64_t d = deadline_ns > 0 ? deadline_ns : 1;
      spec.it_value.tv_sec = d / 1000000000LL;
      spec.it_value.tv_nsec = d % 1000000000LL;
    }
    timerfd_settime(tfd_, TFD_TIMER_ABSTIME, &spec, nullptr);
    pollfd fds[2] = {{tfd_, POLLIN, 0}, {efd_, POLLIN, 0}};
    int r;
    do {
      r = poll(fds, 2, -1);
    } while (r < 0 && errno == EINTR);
    uint64_t n;
    bool kicked = false;
    if (fds[1].revents & POLLIN) kicked = read(efd_, &n, sizeof n) == sizeof n;
    if (fds[0].revents & POLLIN) (void)!read(tfd_, &n, sizeof n);
    return !kicked;
  }

  void Kick() override {
    const uint64_t one = 1;
    (void)!write(efd_, &one, sizeof one);
  }

  const char* Kind() const override { return "timerfd"; }

 private:
  void Close() {
    if (tfd_ >= 0) close(tfd_);
    if (efd_ >= 0) close(efd_);
    tfd_ = efd_ = -1;
  }
  int tfd_ = -1;
  int efd_ = -1;
};

}  // namespace

std::unique_ptr<Waiter> Waiter::Create() { return std::make_unique<TimerfdWaiter>(); }

}  // namespace rtimer
