// OpenSSL behind RAII: keys, certificates, CMS signatures, digests and randomness.
// Everything works in memory: no temporary files, no child processes.
#pragma once

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mdm::crypto {

struct PkeyDeleter { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Deleter { void operator()(X509* p) const { X509_free(p); } };
struct StoreDeleter { void operator()(X509_STORE* p) const { X509_STORE_free(p); } };
struct CmsDeleter { void operator()(CMS_ContentInfo* p) const { CMS_ContentInfo_free(p); } };
struct CsrDeleter { void operator()(X509_REQ* p) const { X509_REQ_free(p); } };
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using Cert = std::unique_ptr<X509, X509Deleter>;
using Store = std::unique_ptr<X509_STORE, StoreDeleter>;
using Cms = std::unique_ptr<CMS_ContentInfo, CmsDeleter>;
using Csr = std::unique_ptr<X509_REQ, CsrDeleter>;

// --- bytes ---------------------------------------------------------------------------------
std::string RandomBytes(size_t n);             // from OpenSSL's CSPRNG
std::string RandomHex(size_t n_bytes);
std::string NewUuid();                         // random (v4), upper case, as devices write them
std::string Sha256(std::string_view data);     // raw 32 bytes
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string Hex(std::string_view bytes);       // lower case
std::string Base64Encode(std::string_view bytes);
// Accepts standard base64 with or without line breaks; false on anything else.
bool Base64Decode(std::string_view text, std::string* out);
// Compares in time independent of where the inputs differ (and of their lengths).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// --- keys and certificates -----------------------------------------------------------------
Pkey GenerateRsaKey(int bits = 2048);
std::string KeyToPem(EVP_PKEY* key);            // unencrypted PKCS#8
std::string CertToPem(X509* cert);
std::string CertToDer(X509* cert);
Result<Pkey> KeyFromPem(std::string_view pem);
Result<Cert> CertFromPem(std::string_view pem);
Result<Cert> CertFromDer(std::string_view der);
// PEM or DER, whichever the bytes are.
Result<Cert> CertFromPemOrDer(std::string_view bytes);

struct CertRequest {
  std::string common_name;
  std::string organization;
  std::string email;          // emailAddress in the subject
  std::string uid;            // UID in the subject (APNs topics live there)
  int days = 365;
  bool is_ca = false;
  int path_len = 0;           // for CAs: how many CAs may follow below; -1 for no limit
  bool client_auth = false;   // extendedKeyUsage clientAuth (device identities)
  bool server_auth = false;
  std::vector<std::string> dns_names;  // subjectAltName
  std::string digest = "sha256";       // signature digest ("sha1" for tests of old devices)
};

// A self-signed certificate for `key`.
Result<Cert> SelfSign(EVP_PKEY* key, const CertRequest& req);
// A certificate for `subject_key`, issued by the CA.
Result<Cert> Issue(X509* ca_cert, EVP_PKEY* ca_key, EVP_PKEY* subject_key, const CertRequest& req);

bool KeyMatchesCert(EVP_PKEY* key, X509* cert);
// The certificate's subject UID (0.9.2342.19200300.100.1.1), "" when it has none.
std::string SubjectUid(X509* cert);
// notAfter as seconds since 1970.
int64_t NotAfter(X509* cert);
// "2027-03-01 12:00:00 UTC"
std::string FormatTime(int64_t unix_seconds);

// --- certificate signing requests ----------------------------------------------------------
Result<Csr> MakeCsr(EVP_PKEY* key, const CertRequest& subject);
std::string CsrToDer(X509_REQ* csr);
std::string CsrToPem(X509_REQ* csr);
Result<Csr> CsrFromPemOrDer(std::string_view bytes);
Pkey CsrPublicKey(X509_REQ* csr);
// A certificate for the CSR's public key and the subject in `req`, issued by the CA.
Result<Cert> IssueForCsr(X509* ca_cert, EVP_PKEY* ca_key, X509_REQ* csr, const CertRequest& req);

// --- raw signatures ------------------------------------------------------------------------
// RSA (PKCS#1 v1.5) with SHA-256 over `data`.
Result<std::string> SignSha256(EVP_PKEY* key, std::string_view data);
bool VerifySha256(EVP_PKEY* public_key, std::string_view data, std::string_view signature);
Pkey PublicKeyOf(X509* cert);
std::string SubjectCommonName(X509* cert);
std::string CertSha256(X509* cert);             // raw SHA-256 of the DER

// A trust store holding exactly these CA certificates.
Store MakeStore(const std::vector<X509*>& cas);
// Checks that `cert` chains to a CA in `store` (any purpose), with `untrusted` intermediates.
// `ignore_validity_dates` accepts certificates outside their validity period.
Status VerifyChain(X509_STORE* store, X509* cert, STACK_OF(X509)* untrusted = nullptr,
                   bool ignore_validity_dates = false);

// --- CMS -----------------------------------------------------------------------------------
// Verifies a detached CMS SignedData (DER) over `content`: the signature must be good and its
// signer certificate (carried inside) must chain to `store`. Returns the signer certificate.
Result<Cert> VerifyDetached(std::string_view cms_der, std::string_view content, X509_STORE* store);

// CMS_verify (with `certs` and `flags`) of a SignedData that carries no content, over `content`;
// 1 when it verifies, as CMS_verify. The content goes inside the structure, not in a BIO:
// OpenSSL 3.0's CMS_verify copies a memory BIO into a temporary one that it never frees when the
// SignedData names a digest it does not know (found by tests/fuzz/cms_fuzz), a leak per request.
int CmsVerifyOver(CMS_ContentInfo* cms, STACK_OF(X509)* certs, std::string_view content, unsigned int flags);

struct SignOptions {
  std::string digest = "sha256";  // or "sha1"
  bool signed_attributes = true;  // signingTime, messageDigest, contentType
  bool detached = true;
  std::vector<X509*> extra_certs;  // carried besides the signer's (its chain)
};
// A CMS SignedData (DER) over `content`, with the signer certificate inside.
Result<std::string> Sign(std::string_view content, X509* cert, EVP_PKEY* key, const SignOptions& opts = {});

// Decrypts an S/MIME message (what `openssl smime -encrypt` writes: MIME headers and base64 of
// a CMS EnvelopedData) for `cert`/`key`. Returns the decrypted MIME entity.
Result<std::string> DecryptSmime(std::string_view smime, X509* cert, EVP_PKEY* key);

// The last OpenSSL error as text (and the error queue cleared).
std::string LastError();

// --- SCEP ----------------------------------------------------------------------------------
// A certificate for the CSR's public key under the CSR's own subject name (the device names
// itself in SCEP), with the validity and extensions of `req`, issued by the CA.
Result<Cert> IssueForCsrSubject(X509* ca_cert, EVP_PKEY* ca_key, X509_REQ* csr, const CertRequest& req);

}  // namespace mdm::crypto
