// Regression for tests/fuzz/crashes/cms_fuzz/leak-948ee73e...: a detached SignedData whose
// digestAlgorithms name a digest OpenSSL does not know made CMS_verify leak the temporary BIO it
// copies the content into, on every request (crypto::CmsVerifyOver). Under scripts/test's
// LeakSanitizer this test fails if the leak comes back; everywhere it checks the refusal.
#include <catch2/catch.hpp>

#include <string>

#include "crypto/crypto.h"
#include "crypto/detached_verifier.h"
#include "test_pki.h"

using namespace mdm;

namespace {

constexpr std::string_view kBody = "<plist><dict><key>Status</key><string>Idle</string></dict></plist>";

// The signature with its first SHA-256 OID (the SignedData's digestAlgorithms) made unknown:
// 2.16.840.1.101.3.4.2.1 becomes 2.16.840.1.101.3.4.2.127.
std::string WithUnknownDigest(std::string der) {
  const std::string sha256_oid("\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01", 11);
  size_t at = der.find(sha256_oid);
  REQUIRE(at != std::string::npos);
  der[at + sha256_oid.size() - 1] = '\x7f';
  return der;
}

}  // namespace

TEST_CASE("cms: a detached signature naming an unknown digest is refused, without leaking", "[crypto]") {
  test::TestPki pki;
  crypto::Store store = crypto::MakeStore({pki.ca.get()});
  std::string good = crypto::Sign(kBody, pki.cert.get(), pki.key.get()).value();
  REQUIRE(crypto::VerifyDetached(good, kBody, store.get()).ok());
  std::string bad = WithUnknownDigest(good);

  auto refused = crypto::VerifyDetached(bad, kBody, store.get());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().rfind("the signature does not verify over the body", 0) == 0);
  CHECK_FALSE(crypto::VerifyDetached(good, "another body", store.get()).ok());

  // The verifier's path for a remembered signer certificate, then its fallback to the full check.
  crypto::DetachedVerifier verifier(store.get(), 8);
  REQUIRE(verifier.Verify(good, kBody).ok());
  CHECK_FALSE(verifier.Verify(bad, kBody).ok());
  CHECK(verifier.Verify(good, kBody).ok());
  CHECK_FALSE(verifier.Verify(good, "another body").ok());
}
