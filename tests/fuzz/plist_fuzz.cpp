// libFuzzer target: mdm::plist::Parse on the bytes (XML or binary), then ToJson and ToXml of
// whatever it accepted. A refusal is a Status; only a crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plist/property_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = mdm::plist::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed.ok()) return 0;
  plist_t root = parsed.value().get();
  (void)mdm::plist::ToJson(root);
  (void)mdm::plist::ToXml(root);
  return 0;
}
