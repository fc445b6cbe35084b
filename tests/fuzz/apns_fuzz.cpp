// libFuzzer target: APNs' answer to one push. The first two bytes give the HTTP status (100 to
// 599), the rest is the body (the client keeps 4 KiB of it) and also a raw header line (apns-id).
// push::ReadApnsAnswer turns them into an outcome, a kind and a reason; push::Summarize then
// words it for the operator, as the console and the admin API do.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/message.h"
#include "push/apns_answer.h"
#include "push/pusher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mdm::push;
  if (size < 2) return 0;
  const long status = 100 + (data[0] << 8 | data[1]) % 500;
  std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  body = body.substr(0, 4096);
  ApnsAnswer a = ReadApnsAnswer(status, body);
  // Sent exactly for 200; a kind exactly when failed.
  if ((a.outcome == Outcome::kSent) != (status == 200)) std::abort();
  if ((a.outcome == Outcome::kFailed) != (a.kind != FailureKind::kNone)) std::abort();
  PushResult r;
  r.enrollment_id = "fuzz";
  r.outcome = a.outcome;
  r.kind = a.kind;
  r.status = status;
  r.reason = a.reason;
  r.apns_id = std::string(mdm::http::HeaderLineValue(body, "apns-id:").value_or(""));
  r.attempts = 1;
  ApnsOptions options;
  options.topic = "com.apple.mgmt.External.fuzz";
  PushSummary s = Summarize({r}, options);
  if (s.failed != (a.outcome == Outcome::kFailed ? 1u : 0u) || (s.failed && s.message.empty())) std::abort();
  (void)FailureKindName(a.kind);
  return 0;
}
