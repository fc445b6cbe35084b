// A request budget per device identity, shared by every worker process: a device that loops
// (a bug in an app, a profile that fails and retries at once) gets 429s while the rest of the
// fleet is served. Kept in memory shared before the workers fork, never in the database: a
// budget check must cost nothing next to the request it protects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mdm::service {

class DeviceRateLimiter {
 public:
  // `per_minute` requests a minute sustained, and as many at once after a quiet minute;
  // 0: no limit. The table has `slots` entries (rounded up to a power of two); only devices
  // that are spending their budget hold one, so it is sized for bursts, not for the fleet.
  explicit DeviceRateLimiter(int per_minute, std::size_t slots = 65536);
  ~DeviceRateLimiter();
  DeviceRateLimiter(const DeviceRateLimiter&) = delete;
  DeviceRateLimiter& operator=(const DeviceRateLimiter&) = delete;

  // Takes one request from the budget of `identity` (a certificate's SHA-256, hex) at
  // `now_us` (CLOCK_MONOTONIC microseconds). 0: allowed. Otherwise the seconds until the next
  // request would be allowed (at least 1).
  int Take(std::string_view identity, int64_t now_us);
  int Take(std::string_view identity);  // now

  int per_minute() const { return per_minute_; }

 private:
  struct Slot;
  int per_minute_;
  int64_t interval_us_ = 0, tolerance_us_ = 0;
  Slot* slots_ = nullptr;
  std::size_t mask_ = 0;
};

}  // namespace mdm::service
