#include "crypto/signed_data.h"

#include <openssl/bio.h>
#include <openssl/err.h>

namespace mdm::crypto {
namespace {

struct BioDeleter { void operator()(BIO* b) const { BIO_free_all(b); } };
using Bio = std::unique_ptr<BIO, BioDeleter>;
struct CertStackDeleter { void operator()(STACK_OF(X509)* s) const { sk_X509_free(s); } };
struct OwnedCertStackDeleter { void operator()(STACK_OF(X509)* s) const { sk_X509_pop_free(s, X509_free); } };

}  // namespace

Result<SignedContent> VerifyAttached(std::string_view cms_der, X509_STORE* store, bool ignore_validity_dates) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(cms_der.data());
  Cms cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));
  if (!cms) {
    ERR_clear_error();
    return Status::Invalid("the body is not a DER CMS structure");
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) return Status::Invalid("the body is not a CMS SignedData");
  Bio out(BIO_new(BIO_s_mem()));
  if (CMS_verify(cms.get(), nullptr, nullptr, nullptr, out.get(), CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
    std::string why = LastError();
    return Status::Invalid("the signature does not verify: " + why);
  }
  std::unique_ptr<STACK_OF(X509), CertStackDeleter> signers(CMS_get0_signers(cms.get()));
  if (!signers || sk_X509_num(signers.get()) != 1) return Status::Invalid("the signature must have exactly one signer");
  X509* signer = sk_X509_value(signers.get(), 0);
  std::unique_ptr<STACK_OF(X509), OwnedCertStackDeleter> carried(CMS_get1_certs(cms.get()));
  Status chain = VerifyChain(store, signer, carried.get(), ignore_validity_dates);
  if (!chain.ok()) return Status::Invalid("the signer " + chain.message());
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(out.get(), &mem);
  X509_up_ref(signer);
  return SignedContent{std::string(mem->data, mem->length), Cert(signer)};
}

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
