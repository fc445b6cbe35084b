// Verifies the detached CMS signatures devices put on every request, remembering the identity
// certificates whose chain it has checked. Decoding the certificate that every signature carries
// is most of the cost of a check (OpenSSL 3.0), so a known certificate is left out of the
// decoding and supplied from memory instead.
#pragma once

#include <ctime>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/crypto.h"

namespace mdm::crypto {

class DetachedVerifier {
 public:
  // `store` must outlive the verifier. `capacity` bounds the remembered certificates.
  explicit DetachedVerifier(X509_STORE* store, size_t capacity = 200000);

  // Like VerifyDetached; returns the SHA-256 of the signer certificate's DER.
  Result<std::string> Verify(std::string_view cms_der, std::string_view content);

 private:
  struct Known {
    Cert cert;
    time_t not_after;
  };
  X509_STORE* store_;
  size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, Known> known_;  // by SHA-256 of the certificate's DER
};

// The SignedData without its certificates field (DER re-encoded), and that field's only
// certificate's DER; false when the structure is not plain DER with exactly one certificate.
bool SplitSignerCertificate(std::string_view cms_der, std::string* without_certs, std::string_view* cert_der);

}  // namespace mdm::crypto
