// Time comes from an injected Clock so that tests advance time instead of sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace airlock {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Wall clock in nanoseconds since the epoch (CRI timestamps).
  virtual int64_t WallNanos() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  int64_t WallNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static SystemClock& Instance() {
    static SystemClock clock;
    return clock;
  }
};

class FakeClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  int64_t WallNanos() const override { return wall_; }
  void Advance(std::chrono::nanoseconds d) {
    now_ += d;
    wall_ += d.count();
  }

 private:
  TimePoint now_{};
  int64_t wall_ = 1'700'000'000'000'000'000;
};

}  // namespace airlock
