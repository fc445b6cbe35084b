// libFuzzer target: the Mdm-Signature check. The bytes are the DER of a detached CMS SignedData
// over a fixed body; DetachedVerifier::Verify and crypto::VerifyDetached must answer with a
// Status, never crash. The trust store holds a throwaway CA made once per process with the lib's
// own helpers (as tests/harness/test_pki.h does); a device certificate it issued and its key
// sign the body once, so the verifier's remembered-certificate path is warm too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "crypto/detached_verifier.h"

namespace {

constexpr std::string_view kBody =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict><key>Status</key>"
    "<string>Idle</string><key>UDID</key><string>0000FUZZ-0000-0000-0000-000000000000</string>"
    "</dict></plist>\n";

struct Pki {
  mdm::crypto::Pkey ca_key = mdm::crypto::GenerateRsaKey();
  mdm::crypto::Cert ca;
  mdm::crypto::Pkey key = mdm::crypto::GenerateRsaKey();
  mdm::crypto::Cert cert;
  mdm::crypto::Store store;
  Pki() {
    mdm::crypto::CertRequest r;
    r.common_name = "Fuzz CA";
    r.is_ca = true;
    ca = mdm::crypto::SelfSign(ca_key.get(), r).value();
    r.common_name = "fuzz device";
    r.is_ca = false;
    r.client_auth = true;
    cert = mdm::crypto::Issue(ca.get(), ca_key.get(), key.get(), r).value();
    store = mdm::crypto::MakeStore({ca.get()});
  }
};

Pki& ThePki() {
  static Pki pki;
  return pki;
}

mdm::crypto::DetachedVerifier& TheVerifier() {
  static mdm::crypto::DetachedVerifier verifier(ThePki().store.get(), 64);
  return verifier;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Pki& pki = ThePki();
  // One good signature, so the verifier knows the device certificate before the fuzzing starts.
  auto good = mdm::crypto::Sign(kBody, pki.cert.get(), pki.key.get());
  if (!good.ok() || !TheVerifier().Verify(good.value(), kBody).ok()) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view der(reinterpret_cast<const char*>(data), size);
  (void)TheVerifier().Verify(der, kBody);
  (void)mdm::crypto::VerifyDetached(der, kBody, ThePki().store.get());
  return 0;
}
