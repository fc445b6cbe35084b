#include "service/rate_limiter.h"

#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <new>

namespace mdm::service {

// GCRA: one number per device, the time its budget is next full ("theoretical arrival time").
// A request is allowed while that time is at most a minute ahead of now, and pushes it on by
// one interval. One atomic word, so a worker killed mid-update leaves no lock behind.
struct DeviceRateLimiter::Slot {
  std::atomic<uint64_t> key{0};  // 0: free
  std::atomic<int64_t> tat_us{0};
};

namespace {
constexpr int kProbes = 8;

uint64_t KeyOf(std::string_view identity) {
  // The identity is a SHA-256 in hex: its first 16 digits are already uniform.
  uint64_t k = 0;
  for (std::size_t i = 0; i < identity.size() && i < 16; ++i) {
    char c = identity[i];
    unsigned v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c & 15u;
    k = (k << 4) | v;
  }
  // Anything that is not hex still spreads over the table.
  for (std::size_t i = 16; i < identity.size(); ++i) k = (k ^ static_cast<unsigned char>(identity[i])) * 0x100000001b3ull;
  return k | 1;  // never 0, which marks a free slot
}
}  // namespace

DeviceRateLimiter::DeviceRateLimiter(int per_minute, std::size_t slots) : per_minute_(per_minute) {
  if (per_minute_ <= 0) return;
  std::size_t n = 1;
  while (n < slots) n <<= 1;
  // Shared and anonymous: worker processes forked after this see the same table.
  void* mem = mmap(nullptr, n * sizeof(Slot), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::bad_alloc();
  slots_ = static_cast<Slot*>(mem);
  for (std::size_t i = 0; i < n; ++i) new (&slots_[i]) Slot();
  mask_ = n - 1;
  interval_us_ = 60'000'000 / per_minute_;
  tolerance_us_ = interval_us_ * (per_minute_ - 1);
}

DeviceRateLimiter::~DeviceRateLimiter() {
  if (slots_) munmap(slots_, (mask_ + 1) * sizeof(Slot));
}

int DeviceRateLimiter::Take(std::string_view identity) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Take(identity, static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000);
}

int DeviceRateLimiter::Take(std::string_view identity, int64_t now_us) {
  if (!slots_) return 0;
  const uint64_t key = KeyOf(identity);
  Slot* slot = nullptr;
  for (int p = 0; p < kProbes && !slot; ++p) {
    Slot& s = slots_[(key + p) & mask_];
    uint64_t held = s.key.load(std::memory_order_acquire);
    if (held == key) {
      slot = &s;
    } else if (held == 0 || s.tat_us.load(std::memory_order_relaxed) <= now_us) {
      // Free, or its device's budget is full again: holding it says nothing more than a fresh
      // slot would, so it may change hands.
      if (s.key.compare_exchange_strong(held, key, std::memory_order_acq_rel)) {
        s.tat_us.store(now_us, std::memory_order_release);
        slot = &s;
      } else if (held == key) {
        slot = &s;
      }
    }
  }
  // A table full of busy devices fails open: the limit is a guard, not an access rule.
  if (!slot) return 0;
  int64_t tat = slot->tat_us.load(std::memory_order_acquire);
  while (true) {
    int64_t base = tat > now_us ? tat : now_us;
    if (base - now_us > tolerance_us_) {
      int64_t wait_us = base - tolerance_us_ - now_us;
      return static_cast<int>(std::max<int64_t>(1, (wait_us + 999'999) / 1'000'000));
    }
    if (slot->tat_us.compare_exchange_weak(tat, base + interval_us_, std::memory_order_acq_rel)) return 0;
  }
}

}  // namespace mdm::service
