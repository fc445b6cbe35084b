// What APNs' HTTP answer to one push means, from its status and body alone: sent, the token
// dead, or failed with a kind (push::FailureKind) and APNs' reason. ApnsClient::Send calls it for
// every answer; kept apart so it is tested and fuzzed on its own (tests/fuzz/apns_fuzz.cpp).
#pragma once

#include <string>
#include <string_view>

#include "push/apns_client.h"

namespace mdm::push {

struct ApnsAnswer {
  Outcome outcome = Outcome::kFailed;
  FailureKind kind = FailureKind::kNone;  // kNone unless outcome is kFailed
  // APNs' reason ({"reason": "BadDeviceToken"}), or what came instead of one ("with no body",
  // "with a body that is not JSON", "with JSON that has no reason"); "" when sent.
  std::string reason;
};

// `status` is the HTTP status (above 0), `body` what APNs sent with it (the client keeps the
// first 4 KiB). 200 is sent; 410, and 400 BadDeviceToken, a dead token; anything else failed.
ApnsAnswer ReadApnsAnswer(long status, std::string_view body);

}  // namespace mdm::push
