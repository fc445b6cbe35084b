// libFuzzer target: every parser of Apple's Apps and Books answers (vpp/responses.h), the
// .vpptoken reader and Apple's dates (vpp/token.h). Each input is read as all of them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "vpp/responses.h"
#include "vpp/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mdm::vpp;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto t = ReadTokenFile(body); t.ok() && (t->stoken.empty() || t->org_name.empty())) std::abort();
  (void)ParseAppleDate(body);
  (void)ReadClientConfig(body);
  if (auto page = ReadAssetPage(body); page.ok())
    for (const auto& a : page->assets)
      if (a.adam_id.empty() || a.pricing_param.empty()) std::abort();
  (void)ReadAssignmentPage(body);
  (void)ReadEventId(body);
  if (auto e = ReadEventStatus(body); e.ok() && e->status.empty()) std::abort();
  auto limits = ReadServiceLimits(body);
  if (limits.max_serial_numbers < 1 || limits.max_assets < 1) std::abort();
  auto error = ReadError(body);
  (void)ErrorMeaning(error.number);
  (void)IsTokenError(error.number);
  return 0;
}
