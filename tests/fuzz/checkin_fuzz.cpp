// libFuzzer target: the bytes as a check-in message (ParseCheckin) and as a command report
// (ParseReport, then ErrorChainJson of an accepted report).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)mdm::protocol::ParseCheckin(bytes);
  auto report = mdm::protocol::ParseReport(bytes);
  if (report.ok()) (void)mdm::protocol::ErrorChainJson(report.value());
  return 0;
}
