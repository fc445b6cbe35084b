#include "crypto/crypto.h"
#include "crypto/signed_data.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <limits>
#include <ctime>
#include <stdexcept>

namespace mdm::crypto {
namespace {

struct BioDeleter { void operator()(BIO* b) const { BIO_free_all(b); } };
using Bio = std::unique_ptr<BIO, BioDeleter>;
struct StoreCtxDeleter { void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); } };
struct CertStackDeleter { void operator()(STACK_OF(X509)* s) const { sk_X509_free(s); } };
struct OwnedCertStackDeleter {
  void operator()(STACK_OF(X509)* s) const { sk_X509_pop_free(s, X509_free); }
};
struct ExtDeleter { void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); } };

Bio MemBio(std::string_view data) {
  return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string BioContents(BIO* b) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(b, &mem);
  return mem ? std::string(mem->data, mem->length) : std::string();
}

const EVP_MD* DigestByName(const std::string& name) {
  if (name == "sha1") return EVP_sha1();
  if (name == "sha256") return EVP_sha256();
  if (name == "sha384") return EVP_sha384();
  if (name == "sha512") return EVP_sha512();
  return nullptr;
}

bool AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtDeleter> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

void FillName(X509_NAME* name, const CertRequest& req) {
  auto add = [&](const char* field, const std::string& v) {
    if (!v.empty())
      X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.c_str()), -1,
                                 -1, 0);
  };
  add("UID", req.uid);
  add("O", req.organization);
  add("CN", req.common_name);
  add("emailAddress", req.email);
}

Result<Cert> MakeCert(X509* issuer_cert, EVP_PKEY* issuer_key, EVP_PKEY* subject_key, const CertRequest& req) {
  const EVP_MD* md = DigestByName(req.digest);
  if (!md) return Status::Invalid("unknown digest " + req.digest);
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  // 159-bit random serial: unique without a counter in the database.
  std::string serial_bytes = RandomBytes(20);
  serial_bytes[0] &= 0x7f;
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(serial_bytes.data()), 20, nullptr), BN_free);
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  // An hour of slack for clocks behind; a negative `days` makes an expired certificate (tests).
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), req.days < 0 ? (req.days - 30) * 86400L : -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(req.days) * 86400);
  X509_set_pubkey(cert.get(), subject_key);
  FillName(X509_get_subject_name(cert.get()), req);
  X509* issuer = issuer_cert ? issuer_cert : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer));
  bool ok = true;
  if (req.is_ca) {
    ok &= AddExt(cert.get(), issuer, NID_basic_constraints,
                 req.path_len < 0 ? "critical,CA:TRUE" : "critical,CA:TRUE,pathlen:" + std::to_string(req.path_len));
    ok &= AddExt(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else {
    ok &= AddExt(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
    ok &= AddExt(cert.get(), issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    std::string eku;
    if (req.client_auth) eku = "clientAuth";
    if (req.server_auth) eku += eku.empty() ? "serverAuth" : ",serverAuth";
    if (!eku.empty()) ok &= AddExt(cert.get(), issuer, NID_ext_key_usage, eku);
  }
  ok &= AddExt(cert.get(), issuer, NID_subject_key_identifier, "hash");
  if (issuer_cert) ok &= AddExt(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  if (!req.dns_names.empty()) {
    std::string san;
    for (const auto& d : req.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
    ok &= AddExt(cert.get(), issuer, NID_subject_alt_name, san);
  }
  if (!ok) return Status::Internal("certificate extensions: " + LastError());
  if (X509_sign(cert.get(), issuer_key, md) <= 0) return Status::Internal("signing the certificate: " + LastError());
  return cert;
}

}  // namespace

std::string LastError() {
  unsigned long e = ERR_get_error();
  std::string out;
  while (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (out.empty()) out = buf;  // the first error is the root cause
    e = ERR_get_error();
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("the random number generator failed");
  return out;
}

std::string Hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string RandomHex(size_t n_bytes) { return Hex(RandomBytes(n_bytes)); }

std::string NewUuid() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string h = Hex(b);
  for (auto& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::string Sha256(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
    if (!ok) return false;
    clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return false;
  size_t pad = 0;
  while (pad < clean.size() && pad < 3 && clean[clean.size() - 1 - pad] == '=') ++pad;
  if (pad > 2) return false;
  if (clean.find('=') < clean.size() - pad) return false;
  out->assign(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out->data()),
                          reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) return false;
  out->resize(static_cast<size_t>(n) - pad);
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Comparing digests hides the lengths as well as the contents.
  std::string da = Sha256(a), db = Sha256(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

Pkey GenerateRsaKey(int bits) {
  Pkey key(EVP_RSA_gen(static_cast<unsigned>(bits)));
  if (!key) throw std::runtime_error("RSA key generation failed: " + LastError());
  return key;
}

std::string KeyToPem(EVP_PKEY* key) {
  Bio b(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(b.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return BioContents(b.get());
}

std::string CertToPem(X509* cert) {
  Bio b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(b.get(), cert);
  return BioContents(b.get());
}

std::string CertToDer(X509* cert) {
  unsigned char* der = nullptr;
  int n = i2d_X509(cert, &der);
  if (n <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

Result<Pkey> KeyFromPem(std::string_view pem) {
  Bio b = MemBio(pem);
  Pkey key(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    return Status::Invalid("not a PEM private key");
  }
  return key;
}

Result<Cert> CertFromPem(std::string_view pem) {
  Bio b = MemBio(pem);
  Cert c(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
  if (!c) {
    ERR_clear_error();
    return Status::Invalid("not a PEM certificate");
  }
  return c;
}

Result<Cert> CertFromDer(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  Cert c(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!c || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return Status::Invalid("not a DER certificate");
  }
  return c;
}

Result<Cert> CertFromPemOrDer(std::string_view bytes) {
  if (bytes.find("-----BEGIN") != std::string_view::npos) return CertFromPem(bytes);
  auto c = CertFromDer(bytes);
  if (!c.ok()) return Status::Invalid("neither a PEM nor a DER certificate");
  return c;
}

Result<Cert> SelfSign(EVP_PKEY* key, const CertRequest& req) { return MakeCert(nullptr, key, key, req); }

std::string SubjectUid(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  int idx = X509_NAME_get_index_by_NID(name, NID_userId, -1);
  if (idx < 0) return "";
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

int64_t NotAfter(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string FormatTime(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

Result<Csr> MakeCsr(EVP_PKEY* key, const CertRequest& subject) {
  Csr csr(X509_REQ_new());
  X509_REQ_set_version(csr.get(), 0);
  FillName(X509_REQ_get_subject_name(csr.get()), subject);
  X509_REQ_set_pubkey(csr.get(), key);
  if (X509_REQ_sign(csr.get(), key, EVP_sha256()) <= 0) return Status::Internal("signing the CSR: " + LastError());
  return csr;
}

std::string CsrToDer(X509_REQ* csr) {
  unsigned char* der = nullptr;
  int n = i2d_X509_REQ(csr, &der);
  if (n <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string CsrToPem(X509_REQ* csr) {
  Bio b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(b.get(), csr);
  return BioContents(b.get());
}

Result<Csr> CsrFromPemOrDer(std::string_view bytes) {
  Csr csr;
  if (bytes.find("-----BEGIN") != std::string_view::npos) {
    Bio b = MemBio(bytes);
    csr.reset(PEM_read_bio_X509_REQ(b.get(), nullptr, nullptr, nullptr));
  } else {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
    csr.reset(d2i_X509_REQ(nullptr, &p, static_cast<long>(bytes.size())));
  }
  ERR_clear_error();
  if (!csr) return Status::Invalid("not a certificate signing request (PEM or DER)");
  return csr;
}

Pkey CsrPublicKey(X509_REQ* csr) { return Pkey(X509_REQ_get_pubkey(csr)); }

Pkey PublicKeyOf(X509* cert) { return Pkey(X509_get_pubkey(cert)); }

Result<Cert> IssueForCsr(X509* ca_cert, EVP_PKEY* ca_key, X509_REQ* csr, const CertRequest& req) {
  Pkey pub = CsrPublicKey(csr);
  if (!pub) return Status::Invalid("the CSR has no usable public key");
  return MakeCert(ca_cert, ca_key, pub.get(), req);
}

Result<std::string> SignSha256(EVP_PKEY* key, std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return Status::Internal("signing: " + LastError());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return Status::Internal("signing: " + LastError());
  sig.resize(len);
  return sig;
}

bool VerifySha256(EVP_PKEY* public_key, std::string_view data, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, public_key) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  ERR_clear_error();
  return ok;
}

Result<std::string> DecryptSmime(std::string_view smime, X509* cert, EVP_PKEY* key) {
  Bio in = MemBio(smime);
  Cms cms(SMIME_read_CMS(in.get(), nullptr));
  if (!cms) {
    ERR_clear_error();
    return Status::Invalid("not an S/MIME message (expected the .p7m file as downloaded)");
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_enveloped)
    return Status::Invalid("the S/MIME message is not encrypted (EnvelopedData)");
  Bio out(BIO_new(BIO_s_mem()));
  if (CMS_decrypt(cms.get(), key, cert, nullptr, out.get(), 0) != 1) {
    ERR_clear_error();
    return Status::Invalid("cannot decrypt it with this server's key: it was made for another certificate");
  }
  return BioContents(out.get());
}

Result<Cert> Issue(X509* ca_cert, EVP_PKEY* ca_key, EVP_PKEY* subject_key, const CertRequest& req) {
  return MakeCert(ca_cert, ca_key, subject_key, req);
}

bool KeyMatchesCert(EVP_PKEY* key, X509* cert) {
  bool ok = X509_check_private_key(cert, key) == 1;
  ERR_clear_error();
  return ok;
}

std::string SubjectCommonName(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return "";
  ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::string CertSha256(X509* cert) { return Sha256(CertToDer(cert)); }

Store MakeStore(const std::vector<X509*>& cas) {
  Store s(X509_STORE_new());
  for (X509* c : cas) X509_STORE_add_cert(s.get(), c);
  return s;
}

Status VerifyChain(X509_STORE* store, X509* cert, STACK_OF(X509)* untrusted, bool ignore_validity_dates) {
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store, cert, untrusted) != 1)
    return Status::Internal("cannot set up certificate verification");
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_ANY);
  if (ignore_validity_dates) X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
  if (X509_verify_cert(ctx.get()) == 1) return Status::Ok();
  int err = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  return Status::Invalid(std::string("certificate not trusted: ") + X509_verify_cert_error_string(err));
}

namespace {

// Parses a DER SignedData; checks the signature (over `detached` when given, else over the
// content it carries, written to `out`) and the signer's chain to `store` through the
// certificates it carries. The chain is checked with our own purpose rules: device identities
// need not carry the S/MIME purpose that CMS_verify would demand.
Result<Cert> VerifySigned(std::string_view der, std::string_view* detached, BIO* out, X509_STORE* store,
                          bool ignore_validity_dates) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  Cms cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) {
    ERR_clear_error();
    return Status::Invalid("the signature is not a DER CMS structure");
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed)
    return Status::Invalid("the signature is not a CMS SignedData");
  bool has_content = CMS_get0_content(cms.get()) && *CMS_get0_content(cms.get());
  if (detached && has_content) return Status::Invalid("the signature carries content; a detached one was expected");
  const unsigned int flags = CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY;
  if ((detached ? CmsVerifyOver(cms.get(), nullptr, *detached, flags)
                : CMS_verify(cms.get(), nullptr, nullptr, nullptr, out, flags)) != 1) {
    std::string why = LastError();
    return Status::Invalid(std::string("the signature does not verify") + (detached ? " over the body: " : ": ") + why);
  }
  std::unique_ptr<STACK_OF(X509), CertStackDeleter> signers(CMS_get0_signers(cms.get()));
  if (!signers || sk_X509_num(signers.get()) != 1) return Status::Invalid("the signature must have exactly one signer");
  X509* signer = sk_X509_value(signers.get(), 0);
  // Other certificates in the structure may be intermediates; they are never trusted by themselves.
  std::unique_ptr<STACK_OF(X509), OwnedCertStackDeleter> carried(CMS_get1_certs(cms.get()));
  Status chain = VerifyChain(store, signer, carried.get(), ignore_validity_dates);
  if (!chain.ok()) return Status::Invalid("the signer " + chain.message());
  X509_up_ref(signer);
  return Cert(signer);
}

}  // namespace

int CmsVerifyOver(CMS_ContentInfo* cms, STACK_OF(X509)* certs, std::string_view content, unsigned int flags) {
  ASN1_OCTET_STRING** pos = CMS_get0_content(cms);
  if (!pos || *pos || content.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return 0;
  ASN1_OCTET_STRING* inside = ASN1_OCTET_STRING_new();
  if (!inside || ASN1_OCTET_STRING_set(inside, reinterpret_cast<const unsigned char*>(content.data()),
                                       static_cast<int>(content.size())) != 1) {
    ASN1_OCTET_STRING_free(inside);
    return 0;
  }
  *pos = inside;  // owned by cms from here on
  return CMS_verify(cms, certs, nullptr, nullptr, nullptr, flags);
}

Result<Cert> VerifyDetached(std::string_view cms_der, std::string_view content, X509_STORE* store) {
  return VerifySigned(cms_der, &content, nullptr, store, false);
}

Result<SignedContent> VerifyAttached(std::string_view cms_der, X509_STORE* store, bool ignore_validity_dates) {
  Bio out(BIO_new(BIO_s_mem()));
  auto signer = VerifySigned(cms_der, nullptr, out.get(), store, ignore_validity_dates);
  if (!signer.ok()) return signer.status();
  return SignedContent{BioContents(out.get()), std::move(signer).value()};
}

Result<std::string> Sign(std::string_view content, X509* cert, EVP_PKEY* key, const SignOptions& opts) {
  const EVP_MD* md = DigestByName(opts.digest);
  if (!md) return Status::Invalid("unknown digest " + opts.digest);
  Bio data = MemBio(content);
  unsigned flags = CMS_BINARY | CMS_PARTIAL;
  if (opts.detached) flags |= CMS_DETACHED;
  if (!opts.signed_attributes) flags |= CMS_NOATTR;
  Cms cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  if (!cms) return Status::Internal("CMS_sign: " + LastError());
  if (!CMS_add1_signer(cms.get(), cert, key, md, flags)) return Status::Internal("CMS_add1_signer: " + LastError());
  for (X509* c : opts.extra_certs)
    if (CMS_add1_cert(cms.get(), c) != 1) return Status::Internal("CMS certificates: " + LastError());
  if (CMS_final(cms.get(), data.get(), nullptr, flags) != 1) return Status::Internal("CMS_final: " + LastError());
  unsigned char* der = nullptr;
  int n = i2d_CMS_ContentInfo(cms.get(), &der);
  if (n <= 0) return Status::Internal("encoding the signature: " + LastError());
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

Result<Cert> IssueForCsrSubject(X509* ca_cert, EVP_PKEY* ca_key, X509_REQ* csr, const CertRequest& req) {
  auto cert = IssueForCsr(ca_cert, ca_key, csr, req);
  if (!cert.ok()) return cert;
  // MakeCert names the subject after `req`: put the CSR's name in its place and sign again.
  if (X509_set_subject_name(cert->get(), X509_REQ_get_subject_name(csr)) != 1 ||
      X509_sign(cert->get(), ca_key, DigestByName(req.digest)) <= 0)
    return Status::Internal("naming the certificate after the CSR: " + LastError());
  return cert;
}

}  // namespace mdm::crypto
