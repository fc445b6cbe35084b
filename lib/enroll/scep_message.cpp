#include "enroll/scep_message.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/provider.h>

namespace mdm::enroll::scep {
namespace {

struct BioDeleter { void operator()(BIO* b) const { BIO_free_all(b); } };
using Bio = std::unique_ptr<BIO, BioDeleter>;
struct ObjectDeleter { void operator()(ASN1_OBJECT* o) const { ASN1_OBJECT_free(o); } };
using Object = std::unique_ptr<ASN1_OBJECT, ObjectDeleter>;
struct CipherDeleter { void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); } };
struct CertStackDeleter { void operator()(STACK_OF(X509)* s) const { sk_X509_free(s); } };
using CertStack = std::unique_ptr<STACK_OF(X509), CertStackDeleter>;

// The SCEP attribute types (RFC 8894 3.2.1), under VeriSign's arc. OpenSSL has no NIDs for
// them, so they are matched as objects.
struct Oids {
  Object message_type{OBJ_txt2obj("2.16.840.1.113733.1.9.2", 1)};
  Object pki_status{OBJ_txt2obj("2.16.840.1.113733.1.9.3", 1)};
  Object fail_info{OBJ_txt2obj("2.16.840.1.113733.1.9.4", 1)};
  Object sender_nonce{OBJ_txt2obj("2.16.840.1.113733.1.9.5", 1)};
  Object recipient_nonce{OBJ_txt2obj("2.16.840.1.113733.1.9.6", 1)};
  Object transaction_id{OBJ_txt2obj("2.16.840.1.113733.1.9.7", 1)};

  static const Oids& Get() {
    static const Oids oids;
    return oids;
  }
};

Bio MemBio(std::string_view data) {
  // BIO_new_mem_buf refuses a null pointer, which an empty string_view may hold.
  return Bio(BIO_new_mem_buf(data.empty() ? "" : data.data(), static_cast<int>(data.size())));
}

std::string BioContents(BIO* b) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(b, &mem);
  return mem ? std::string(mem->data, mem->length) : std::string();
}

Result<Pkcs7> Pkcs7FromDer(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkcs7 p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (!p7) {
    ERR_clear_error();
    return Status::Invalid("not a DER PKCS#7 structure");
  }
  return p7;
}

Result<std::string> Pkcs7ToDer(PKCS7* p7) {
  unsigned char* der = nullptr;
  int n = i2d_PKCS7(p7, &der);
  if (n <= 0) return Status::Internal("encoding PKCS#7: " + crypto::LastError());
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

// A signed attribute's value when it has the ASN.1 `type` expected; "" otherwise.
std::string Attribute(PKCS7_SIGNER_INFO* si, const ASN1_OBJECT* oid, int type) {
  int idx = X509at_get_attr_by_OBJ(si->auth_attr, oid, -1);
  if (idx < 0) return "";
  ASN1_TYPE* v = X509_ATTRIBUTE_get0_type(X509at_get_attr(si->auth_attr, idx), 0);
  if (!v || v->type != type) return "";
  const ASN1_STRING* s = v->value.asn1_string;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<size_t>(ASN1_STRING_length(s)));
}

bool AddAttribute(PKCS7_SIGNER_INFO* si, const ASN1_OBJECT* oid, int type, std::string_view value) {
  return X509at_add1_attr_by_OBJ(&si->auth_attr, oid, type, reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size())) != nullptr;
}

// The content of a SUCCESS CertRep before encryption: a SignedData with no signers and no
// content, only the issued certificate (RFC 8894 3.4).
Result<std::string> CertsOnly(X509* cert) {
  Pkcs7 p7(PKCS7_new());
  if (!p7 || !PKCS7_set_type(p7.get(), NID_pkcs7_signed) || !PKCS7_content_new(p7.get(), NID_pkcs7_data) ||
      !PKCS7_add_certificate(p7.get(), cert) || !PKCS7_set_detached(p7.get(), 1))
    return Status::Internal("degenerate PKCS#7: " + crypto::LastError());
  return Pkcs7ToDer(p7.get());
}

Result<std::string> EnvelopeFor(X509* recipient, int cipher_nid, std::string_view content) {
  CertStack recipients(sk_X509_new_null());
  if (!recipients || !sk_X509_push(recipients.get(), recipient))
    return Status::Internal("pkcsPKIEnvelope: " + crypto::LastError());
  Bio in = MemBio(content);
  Pkcs7 p7(PKCS7_encrypt(recipients.get(), in.get(), EVP_get_cipherbynid(cipher_nid), PKCS7_BINARY));
  if (!p7) return Status::Internal("pkcsPKIEnvelope: " + crypto::LastError());
  return Pkcs7ToDer(p7.get());
}

Result<std::string> SignReply(const SignedRequest& req, X509* ca_cert, EVP_PKEY* ca_key, PkiStatus status,
                              std::optional<FailInfo> fail_info, std::string_view content) {
  const EVP_MD* md = req.digest_nid == NID_sha1 ? EVP_sha1() : EVP_sha256();
  const int flags = PKCS7_BINARY | PKCS7_PARTIAL | PKCS7_NOSMIMECAP;
  Pkcs7 p7(PKCS7_sign(nullptr, nullptr, nullptr, nullptr, flags));
  PKCS7_SIGNER_INFO* si = p7 ? PKCS7_sign_add_signer(p7.get(), ca_cert, ca_key, md, flags) : nullptr;
  if (!si) return Status::Internal("CertRep signer: " + crypto::LastError());
  const Oids& oid = Oids::Get();
  bool ok = AddAttribute(si, oid.message_type.get(), V_ASN1_PRINTABLESTRING, kCertRep) &&
            AddAttribute(si, oid.pki_status.get(), V_ASN1_PRINTABLESTRING, std::to_string(static_cast<int>(status))) &&
            AddAttribute(si, oid.sender_nonce.get(), V_ASN1_OCTET_STRING, crypto::RandomBytes(16));
  if (fail_info)
    ok = ok && AddAttribute(si, oid.fail_info.get(), V_ASN1_PRINTABLESTRING, std::to_string(static_cast<int>(*fail_info)));
  // A request too broken to carry these still gets its failure; the client cannot match it.
  if (!req.transaction_id.empty())
    ok = ok && AddAttribute(si, oid.transaction_id.get(), V_ASN1_PRINTABLESTRING, req.transaction_id);
  if (!req.sender_nonce.empty())
    ok = ok && AddAttribute(si, oid.recipient_nonce.get(), V_ASN1_OCTET_STRING, req.sender_nonce);
  // A FAILURE has no pkcsPKIEnvelope, but its content is still attached (empty): PKCS7_verify,
  // which clients such as certmonger call, refuses a SignedData without content.
  Bio data = MemBio(content);
  if (!ok || PKCS7_final(p7.get(), data.get(), flags) != 1) return Status::Internal("CertRep: " + crypto::LastError());
  return Pkcs7ToDer(p7.get());
}

}  // namespace

const char* FailInfoName(FailInfo f) {
  switch (f) {
    case FailInfo::kBadAlg: return "badAlg";
    case FailInfo::kBadMessageCheck: return "badMessageCheck";
    case FailInfo::kBadRequest: return "badRequest";
  }
  return "unknown";
}

Result<SignedRequest> ReadSignedRequest(std::string_view der) {
  auto p7 = Pkcs7FromDer(der);
  if (!p7.ok()) return p7.status();
  if (!PKCS7_type_is_signed(p7->get()) || !(*p7)->d.sign) return Status::Invalid("the PKCS#7 is not a SignedData");
  STACK_OF(PKCS7_SIGNER_INFO)* infos = PKCS7_get_signer_info(p7->get());
  if (!infos || sk_PKCS7_SIGNER_INFO_num(infos) != 1) return Status::Invalid("the SignedData must have one signer");
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
  SignedRequest req;
  const Oids& oid = Oids::Get();
  req.message_type = Attribute(si, oid.message_type.get(), V_ASN1_PRINTABLESTRING);
  req.transaction_id = Attribute(si, oid.transaction_id.get(), V_ASN1_PRINTABLESTRING);
  req.sender_nonce = Attribute(si, oid.sender_nonce.get(), V_ASN1_OCTET_STRING);
  X509_ALGOR* digest = nullptr;
  PKCS7_SIGNER_INFO_get0_algs(si, nullptr, &digest, nullptr);
  if (digest) req.digest_nid = OBJ_obj2nid(digest->algorithm);
  req.p7 = std::move(p7).value();
  return req;
}

bool DigestSupported(int nid) { return nid == NID_sha1 || nid == NID_sha256; }

Result<Verified> VerifySignature(const SignedRequest& req) {
  Bio out(BIO_new(BIO_s_mem()));
  // NOVERIFY: only the signature here. A PKCSReq signer is a self-signed throwaway.
  if (PKCS7_verify(req.p7.get(), nullptr, nullptr, nullptr, out.get(), PKCS7_NOVERIFY | PKCS7_BINARY) != 1)
    return Status::Invalid("the signature does not verify: " + crypto::LastError());
  CertStack signers(PKCS7_get0_signers(req.p7.get(), nullptr, 0));
  if (!signers || sk_X509_num(signers.get()) != 1) {
    ERR_clear_error();
    return Status::Invalid("the SignedData does not carry its signer's certificate");
  }
  X509* signer = sk_X509_value(signers.get(), 0);
  X509_up_ref(signer);
  return Verified{crypto::Cert(signer), BioContents(out.get())};
}

Result<Envelope> ReadEnvelope(std::string_view der) {
  auto p7 = Pkcs7FromDer(der);
  if (!p7.ok()) return Status::Invalid("the pkcsPKIEnvelope is " + p7.status().message());
  const PKCS7_ENVELOPE* env = PKCS7_type_is_enveloped(p7->get()) ? (*p7)->d.enveloped : nullptr;
  if (!env || !env->enc_data || !env->enc_data->algorithm)
    return Status::Invalid("the pkcsPKIEnvelope is not a PKCS#7 EnvelopedData");
  Envelope out;
  out.cipher_nid = OBJ_obj2nid(env->enc_data->algorithm->algorithm);
  out.p7 = std::move(p7).value();
  return out;
}

bool CipherSupported(int nid) {
  switch (nid) {
    case NID_aes_128_cbc:
    case NID_aes_192_cbc:
    case NID_aes_256_cbc:
    case NID_des_ede3_cbc:
    case NID_des_cbc:
      break;
    default:
      return false;
  }
  // Fetched to learn whether a loaded provider implements it (DES-CBC: only the legacy one).
  std::unique_ptr<EVP_CIPHER, CipherDeleter> cipher(EVP_CIPHER_fetch(nullptr, OBJ_nid2sn(nid), nullptr));
  ERR_clear_error();
  return cipher != nullptr;
}

Result<std::string> Decrypt(const Envelope& env, X509* ca_cert, EVP_PKEY* ca_key) {
  Bio out(BIO_new(BIO_s_mem()));
  if (PKCS7_decrypt(env.p7.get(), ca_key, ca_cert, out.get(), 0) != 1)
    return Status::Invalid("the pkcsPKIEnvelope does not decrypt with the CA key: " + crypto::LastError());
  return BioContents(out.get());
}

std::optional<std::string> ChallengePassword(X509_REQ* csr) {
  int idx = X509_REQ_get_attr_by_NID(csr, NID_pkcs9_challengePassword, -1);
  if (idx < 0) return std::nullopt;
  ASN1_TYPE* v = X509_ATTRIBUTE_get0_type(X509_REQ_get_attr(csr, idx), 0);
  if (!v) return std::nullopt;
  switch (v->type) {  // DirectoryString, and IA5String that some clients send
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_UTF8STRING:
    case V_ASN1_IA5STRING:
    case V_ASN1_T61STRING:
    case V_ASN1_BMPSTRING:
    case V_ASN1_UNIVERSALSTRING:
      break;
    default:
      return std::nullopt;
  }
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, v->value.asn1_string);
  if (n < 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

bool CsrSignatureValid(X509_REQ* csr) {
  crypto::Pkey key = crypto::CsrPublicKey(csr);
  bool ok = key && X509_REQ_verify(csr, key.get()) == 1;
  ERR_clear_error();
  return ok;
}

Result<std::string> SuccessReply(const SignedRequest& req, X509* ca_cert, EVP_PKEY* ca_key, X509* issued,
                                 X509* recipient, int cipher_nid) {
  auto certs = CertsOnly(issued);
  if (!certs.ok()) return certs.status();
  auto envelope = EnvelopeFor(recipient, cipher_nid, *certs);
  if (!envelope.ok()) return envelope.status();
  return SignReply(req, ca_cert, ca_key, PkiStatus::kSuccess, std::nullopt, *envelope);
}

Result<std::string> FailureReply(const SignedRequest& req, X509* ca_cert, EVP_PKEY* ca_key, FailInfo fail_info) {
  return SignReply(req, ca_cert, ca_key, PkiStatus::kFailure, fail_info, "");
}

bool LoadLegacyProvider() {
  // Loading a provider by hand turns the implicit "default" one off, so it is loaded too. The
  // handles stay referenced here for the life of the process: other threads use their algorithms.
  static OSSL_PROVIDER* const default_provider = OSSL_PROVIDER_load(nullptr, "default");
  static OSSL_PROVIDER* const legacy_provider = OSSL_PROVIDER_load(nullptr, "legacy");
  ERR_clear_error();
  return default_provider && legacy_provider;
}

}  // namespace mdm::enroll::scep
