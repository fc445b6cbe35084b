// Attached CMS SignedData: what ADE devices POST to /profile (a plist signed by Apple's device
// certificate), and what we sign profiles with.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/crypto.h"

namespace mdm::crypto {

struct SignedContent {
  std::string content;
  Cert signer;
};

// Verifies an attached SignedData (DER): the signature over its content, and the signer's chain
// to `store` through the certificates it carries. `ignore_validity_dates` accepts certificates
// outside their validity period (Apple's old device CA has expired, and devices still use it).
Result<SignedContent> VerifyAttached(std::string_view cms_der, X509_STORE* store, bool ignore_validity_dates);

// An attached SignedData over `content`, signed by cert/key, carrying `extra_certs` too.
Result<std::string> SignAttached(std::string_view content, X509* cert, EVP_PKEY* key,
                                 const std::vector<X509*>& extra_certs);

}  // namespace mdm::crypto
