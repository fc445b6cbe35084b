#include "crypto/pkcs12.h"

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>

namespace mdm::crypto {
namespace {

struct P12Deleter { void operator()(PKCS12* p) const { PKCS12_free(p); } };
using P12 = std::unique_ptr<PKCS12, P12Deleter>;

}  // namespace

Result<std::string> MakeLegacyPkcs12(EVP_PKEY* key, X509* cert, const std::string& password,
                                     const std::string& friendly_name) {
  P12 p12(PKCS12_create(password.c_str(), friendly_name.c_str(), key, cert, nullptr,
                        NID_pbe_WithSHA1And3_Key_TripleDES_CBC, NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
                        2048, -1, 0));
  if (!p12) return Status::Internal("PKCS12_create: " + LastError());
  if (PKCS12_set_mac(p12.get(), password.c_str(), -1, nullptr, 0, 2048, EVP_sha1()) != 1)
    return Status::Internal("PKCS12_set_mac: " + LastError());
  unsigned char* der = nullptr;
  int n = i2d_PKCS12(p12.get(), &der);
  if (n <= 0) return Status::Internal("encoding PKCS#12: " + LastError());
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

Result<Identity> ParsePkcs12(std::string_view der, const std::string& password) {
  // Files exported by older tools use RC2 or DES, which live in OpenSSL's legacy provider.
  static OSSL_PROVIDER* legacy = OSSL_PROVIDER_try_load(nullptr, "legacy", 1);
  (void)legacy;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  P12 p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  if (!p12) {
    ERR_clear_error();
    return Status::Invalid("not a PKCS#12 file");
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  if (PKCS12_parse(p12.get(), password.c_str(), &key, &cert, &ca) != 1) {
    ERR_clear_error();
    return Status::Invalid("cannot open the PKCS#12 file: wrong password, or an algorithm OpenSSL lacks");
  }
  Identity id{Pkey(key), Cert(cert), {}};
  while (ca && sk_X509_num(ca) > 0) id.chain.emplace_back(sk_X509_shift(ca));
  sk_X509_free(ca);
  if (!id.key || !id.cert) return Status::Invalid("the PKCS#12 file lacks a key or a certificate");
  return id;
}

}  // namespace mdm::crypto
