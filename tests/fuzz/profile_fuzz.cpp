// libFuzzer target: mdm::deploy::ReadProfile on the bytes (XML, binary plist or signed DER).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "deploy/profile_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)mdm::deploy::ReadProfile(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
