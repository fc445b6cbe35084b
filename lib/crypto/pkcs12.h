// PKCS#12 files: identities the server makes for devices (with the legacy algorithms iOS reads)
// and the operator's own profile-signing identity.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/crypto.h"

namespace mdm::crypto {

// Key and certificate under `password`, encrypted with PBE-SHA1-3DES and a SHA-1 MAC: the
// algorithms iOS accepts (and `openssl pkcs12 -legacy` opens).
Result<std::string> MakeLegacyPkcs12(EVP_PKEY* key, X509* cert, const std::string& password,
                                     const std::string& friendly_name);

struct Identity {
  Pkey key;
  Cert cert;
  std::vector<Cert> chain;
};
Result<Identity> ParsePkcs12(std::string_view der, const std::string& password);

}  // namespace mdm::crypto
