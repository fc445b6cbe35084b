// Hostile load for devicesim --hostile: client threads that send 8 MB bodies an attacker could
// send, without a signature and with a stolen device key, in a loop, while the fleet's Idle
// latency is measured (issue 18: a device's Idle p99 stays under 100 ms meanwhile).
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "fleet.h"

namespace devicesim {

struct HostileTally {
  unsigned long long sent = 0, refused = 0, other = 0;  // refused: a 4xx answer
  double megabytes = 0;
  std::string first_other;  // the first answer that was not a 4xx
};

class HostileLoad {
 public:
  // Bodies of about `body_bytes` each, the signed ones signed with `signer`'s certificate and `key`.
  HostileLoad(const Target& target, const Device& signer, EVP_PKEY* key, std::size_t body_bytes);
  ~HostileLoad();

  void Start(int threads);
  HostileTally Stop();
  // What the bodies are, one line each.
  std::vector<std::string> Describe() const;

 private:
  struct Body {
    std::string what, route, bytes;
    Slist headers;
  };
  void Run(int t, HostileTally& tally);

  const Target& target_;
  std::vector<Body> bodies_;
  std::vector<std::thread> threads_;
  std::vector<HostileTally> tallies_;
  std::atomic<bool> stop_{false};
};

}  // namespace devicesim
