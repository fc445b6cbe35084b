// libFuzzer target: mdm::enroll::scep::ReadSignedRequest on the bytes as the DER of a SCEP
// PKCSReq / RenewalReq (the pkiMessage a device posts).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enroll/scep_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)mdm::enroll::scep::ReadSignedRequest(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
