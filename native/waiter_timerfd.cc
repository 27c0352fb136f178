#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "clock.h"
#include "waiter.h"

namespace rtimer {
namespace {

constexpr int64_t kSecond = 1000000000LL;

timespec ToTimespec(int64_t ns) { return {static_cast<time_t>(ns / kSecond), static_cast<long>(ns % kSecond)}; }

class TimerfdWaiter final : public Waiter {
 public:
  TimerfdWaiter() {
    tfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    const int tfd_errno = errno;
    efd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (tfd_ < 0 || efd_ < 0) {
      const std::string why = std::strerror(tfd_ < 0 ? tfd_errno : errno);
      Close();
      throw std::runtime_error(std::string(tfd_ < 0 ? "timerfd_create" : "eventfd") + " failed: " + why);
    }
  }
  ~TimerfdWaiter() override { Close(); }

  bool WaitUntil(int64_t deadline_ns) override {
    itimerspec spec{};
    // A zero it_value disarms a timerfd, so a deadline at or before 0 is moved to 1 ns.
    if (deadline_ns != kForever) spec.it_value = ToTimespec(std::max<int64_t>(deadline_ns, 1));
    if (timerfd_settime(tfd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) return Fallback(deadline_ns);
    pollfd fds[2] = {{tfd_, POLLIN, 0}, {efd_, POLLIN, 0}};
    int r;
    do {
      r = poll(fds, 2, -1);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return Fallback(deadline_ns);
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
  // The timerfd could not be armed or poll() failed: counted, and this one wait is done with a
  // relative ppoll() on the eventfd alone, so Kick() still interrupts it. Should that fail too,
  // a sleep of at most 1 ms: the timer keeps ticking (coarser), never spins and never stops.
  bool Fallback(int64_t deadline_ns) {
    CountError();
    const int64_t now = MonotonicNs();
    timespec rel;
    timespec* timeout = nullptr;
    if (deadline_ns != kForever) {
      rel = ToTimespec(std::max<int64_t>(deadline_ns - now, 0));
      timeout = &rel;
    }
    pollfd fd = {efd_, POLLIN, 0};
    if (ppoll(&fd, 1, timeout, nullptr) < 0 && errno != EINTR) {
      const timespec until = ToTimespec(std::min<int64_t>(deadline_ns, now + kSecond / 1000));
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
      }
    }
    uint64_t n;
    return read(efd_, &n, sizeof n) != sizeof n;
  }

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
