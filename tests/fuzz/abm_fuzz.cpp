// libFuzzer target: ABM/ASM's answers as applesync reads them (abm/responses.h). The bytes are
// the body of every answer in turn: /session, /account, a device page, the activation profile
// defined, the profile assigned (each with 200, the status-dependent ones with 400 too), and a
// cursor error; then a Retry-After value and a raw header line. What goes on to PostgreSQL as
// jsonb (a page's devices, the assignment results) must be JSON that json::Parse takes again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <rapidjson/document.h>

#include "abm/responses.h"
#include "http/message.h"
#include "apple/service_client.h"
#include "json/json.h"

namespace {

// JSON this server produced must read back, with the expected root.
void Reparse(const std::string& text, bool array) {
  rapidjson::Document d;
  if (!mdm::json::Parse(text, &d).ok() || (array ? !d.IsArray() : !d.IsObject())) std::abort();
}

void CheckRetryAfter(std::string_view value) {
  auto seconds = mdm::apple::ReadRetryAfter(value, 60, 1700000000);
  if (seconds && (*seconds < 0 || *seconds > 60)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mdm::abm;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)ReadSessionToken(body);
  (void)ReadOrgName(body);
  if (auto page = ReadDevicePage(body); page.ok()) Reparse(page->devices_json, true);
  (void)ReadProfileUuid(200, body);
  (void)ReadProfileUuid(400, body);
  if (auto results = ReadAssignResults(200, body); results.ok()) Reparse(*results, false);
  if (ReadAssignResults(400, body).ok()) std::abort();
  (void)ClassifyCursorError(400, body);
  CheckRetryAfter(body);
  if (auto v = mdm::http::HeaderLineValue(body, "retry-after:")) CheckRetryAfter(*v);
  (void)mdm::http::HeaderLineValue(body, "x-adm-auth-session:");
  return 0;
}
