// libFuzzer target: mdm::ParseConfig on the bytes as the text of /etc/mdm/mdm.conf.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)mdm::ParseConfig(text, "fuzz.conf");
  return 0;
}
