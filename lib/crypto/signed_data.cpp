#include "crypto/signed_data.h"

#include <openssl/bio.h>
#include <openssl/err.h>

namespace mdm::crypto {
namespace {

struct BioDeleter { void operator()(BIO* b) const { BIO_free_all(b); } };
using Bio = std::unique_ptr<BIO, BioDeleter>;

}  // namespace

Result<std::string> SignAttached(std::string_view content, X509* cert, EVP_PKEY* key,
                                 const std::vector<X509*>& extra_certs) {
  Bio data(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  unsigned flags = CMS_BINARY | CMS_PARTIAL;
  Cms cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  if (!cms || !CMS_add1_signer(cms.get(), cert, key, EVP_sha256(), flags))
    return Status::Internal("CMS signer: " + LastError());
  for (X509* c : extra_certs)
    if (CMS_add1_cert(cms.get(), c) != 1) return Status::Internal("CMS certificates: " + LastError());
  if (CMS_final(cms.get(), data.get(), nullptr, flags) != 1) return Status::Internal("CMS_final: " + LastError());
  unsigned char* der = nullptr;
  int n = i2d_CMS_ContentInfo(cms.get(), &der);
  if (n <= 0) return Status::Internal("encoding the signature: " + LastError());
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace mdm::crypto
