// libFuzzer target: the body of an ADE device's POST /profile. The bytes go through
// enroll::ReadAdeRequest (CMS SignedData verified against Apple's root CA, as EnrollmentService
// does without an ade-root-ca setting), and through enroll::ReadAdeMachineInfo as the plist the
// signature covered (no input can carry Apple's signature, so that part is fed directly).
// An accepted machine info must hold what the SQL statement and the log line then get.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "certs/apple_pki.h"
#include "core/utf8.h"
#include "crypto/crypto.h"
#include "enroll/ade_request.h"

namespace {

struct Roots {
  mdm::crypto::Cert apple = mdm::crypto::CertFromPem(mdm::certs::kAppleRootCaPem).value();
  mdm::crypto::Store store = mdm::crypto::MakeStore({apple.get()});
};

X509_STORE* TheRoots() {
  static Roots roots;  // once per process, not once per input
  return roots.store.get();
}

void Check(const mdm::Result<mdm::enroll::AdeMachineInfo>& info) {
  if (!info.ok()) return;
  const std::string& serial = info->serial;
  if (serial.empty() || serial.size() > 64 || !mdm::IsValidUtf8(serial)) std::abort();
  if (info->udid && !mdm::IsValidUtf8(*info->udid)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)TheRoots();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Check(mdm::enroll::ReadAdeRequest(bytes, TheRoots()));
  Check(mdm::enroll::ReadAdeMachineInfo(bytes));
  return 0;
}
