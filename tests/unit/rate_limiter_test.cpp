#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "service/rate_limiter.h"

using mdm::service::DeviceRateLimiter;

namespace {
const std::string kA = "a3f1c2d4e5f60718293a4b5c6d7e8f90a3f1c2d4e5f60718293a4b5c6d7e8f90";
const std::string kB = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";
constexpr int64_t kSecond = 1'000'000;
}  // namespace

TEST_CASE("a device may make its minute's budget at once, then one request per interval", "[rate_limiter]") {
  DeviceRateLimiter limiter(60);
  int64_t t = 1000 * kSecond;
  for (int i = 0; i < 60; ++i) REQUIRE(limiter.Take(kA, t) == 0);
  CHECK(limiter.Take(kA, t) == 1);
  // Another device is not affected.
  CHECK(limiter.Take(kB, t) == 0);
  // One interval (1 s at 60 a minute) later, one more, and no second.
  CHECK(limiter.Take(kA, t + kSecond) == 0);
  CHECK(limiter.Take(kA, t + kSecond) > 0);
  // After a quiet minute the whole budget is back.
  int allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += limiter.Take(kA, t + 62 * kSecond) == 0;
  CHECK(allowed == 60);
}

TEST_CASE("Retry-After is the seconds until the next request would pass", "[rate_limiter]") {
  DeviceRateLimiter limiter(6);  // one every 10 s
  int64_t t = 50 * kSecond;
  for (int i = 0; i < 6; ++i) REQUIRE(limiter.Take(kA, t) == 0);
  CHECK(limiter.Take(kA, t) == 10);
  CHECK(limiter.Take(kA, t + 4 * kSecond) == 6);
  CHECK(limiter.Take(kA, t + 10 * kSecond) == 0);
}

TEST_CASE("0 requests a minute means no limit", "[rate_limiter]") {
  DeviceRateLimiter limiter(0);
  for (int i = 0; i < 10000; ++i) REQUIRE(limiter.Take(kA, 0) == 0);
}

TEST_CASE("a table full of busy devices lets the others through rather than refuse them", "[rate_limiter]") {
  DeviceRateLimiter limiter(2, 8);  // 8 slots, all of them within reach of every probe
  int64_t t = 10 * kSecond;
  for (int d = 0; d < 8; ++d) {
    std::string id = std::to_string(d) + kA.substr(1);
    REQUIRE(limiter.Take(id, t) == 0);
    REQUIRE(limiter.Take(id, t) == 0);
    REQUIRE(limiter.Take(id, t) > 0);
  }
  // A ninth device finds no slot: allowed, every time.
  for (int i = 0; i < 5; ++i) CHECK(limiter.Take(kB, t) == 0);
  // Once a device's budget is full again its slot changes hands, and the limit holds again.
  int64_t later = t + 61 * kSecond;
  CHECK(limiter.Take(kB, later) == 0);
  CHECK(limiter.Take(kB, later) == 0);
  CHECK(limiter.Take(kB, later) > 0);
}

TEST_CASE("worker processes forked after the limiter share one budget per device", "[rate_limiter]") {
  DeviceRateLimiter limiter(60);
  int64_t t = 5000 * kSecond;
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int refused = 0;
    for (int i = 0; i < 40; ++i) refused += limiter.Take(kA, t) != 0;
    _exit(refused);
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  int allowed = 0;
  for (int i = 0; i < 40; ++i) allowed += limiter.Take(kA, t) == 0;
  CHECK(allowed == 20);
}
