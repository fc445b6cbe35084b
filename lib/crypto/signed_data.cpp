#include "crypto/signed_data.h"

namespace mdm::crypto {

Result<std::string> SignAttached(std::string_view content, X509* cert, EVP_PKEY* key,
                                 const std::vector<X509*>& extra_certs) {
  SignOptions opts;
  opts.detached = false;
  opts.extra_certs = extra_certs;
  return Sign(content, cert, key, opts);
}

}  // namespace mdm::crypto
