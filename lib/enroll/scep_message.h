// SCEP pkiMessages (RFC 8894 section 3): reading a request (a PKCS#7 SignedData over a
// pkcsPKIEnvelope, the EnvelopedData holding the PKCS#10) and writing the CertRep. Only OpenSSL
// and bytes here; the policy (challenges, who may renew) is in scep.cpp.
#pragma once

#include <openssl/pkcs7.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/crypto.h"

namespace mdm::enroll::scep {

struct Pkcs7Deleter { void operator()(PKCS7* p) const { PKCS7_free(p); } };
using Pkcs7 = std::unique_ptr<PKCS7, Pkcs7Deleter>;

// messageType values (decimal in a PrintableString).
inline constexpr std::string_view kCertRep = "3";
inline constexpr std::string_view kRenewalReq = "17";
inline constexpr std::string_view kPkcsReq = "19";

enum class PkiStatus { kSuccess = 0, kFailure = 2 };
enum class FailInfo { kBadAlg = 0, kBadMessageCheck = 1, kBadRequest = 2 };
const char* FailInfoName(FailInfo f);  // "badAlg", ... (for logs)

// A request's SignedData and what its signed attributes say: enough to answer it with a CertRep,
// whatever is wrong further in.
struct SignedRequest {
  Pkcs7 p7;
  std::string message_type, transaction_id, sender_nonce;  // empty when absent
  int digest_nid = NID_undef;  // the signature's digest
};
// kInvalid when `der` is not a PKCS#7 SignedData with exactly one signer: nothing to answer to.
Result<SignedRequest> ReadSignedRequest(std::string_view der);

// Whether we accept the request's signature digest and sign our answer with it (SHA-1, SHA-256).
bool DigestSupported(int nid);

// The signature checked with the signer certificate the request carries (its chain is the
// caller's business). Returns that certificate and the signed content (the pkcsPKIEnvelope).
struct Verified {
  crypto::Cert signer;
  std::string content;
};
Result<Verified> VerifySignature(const SignedRequest& req);

// A pkcsPKIEnvelope: kInvalid when `der` is not a PKCS#7 EnvelopedData.
struct Envelope {
  Pkcs7 p7;
  int cipher_nid = NID_undef;  // the content encryption algorithm
};
Result<Envelope> ReadEnvelope(std::string_view der);
// Whether we decrypt this cipher and answer in it: AES-CBC, DES-EDE3-CBC and DES-CBC (the last
// only while OpenSSL's legacy provider is loaded).
bool CipherSupported(int nid);
// The envelope's content, decrypted with the CA's key (the requester encrypts to the CA).
Result<std::string> Decrypt(const Envelope& env, X509* ca_cert, EVP_PKEY* ca_key);

// The CSR's challengePassword, nullopt when it has none.
std::optional<std::string> ChallengePassword(X509_REQ* csr);
// Whether the CSR is signed by the key it carries (proof of possession).
bool CsrSignatureValid(X509_REQ* csr);

// A CertRep signed by the CA, echoing the request's transactionID and senderNonce (as
// recipientNonce), in the request's digest (SHA-256 when that one is unsupported).
// SUCCESS: the issued certificate in a degenerate certs-only SignedData, enveloped for
// `recipient` in the cipher `cipher_nid`.
Result<std::string> SuccessReply(const SignedRequest& req, X509* ca_cert, EVP_PKEY* ca_key, X509* issued,
                                 X509* recipient, int cipher_nid);
// FAILURE with `fail_info`, and no pkcsPKIEnvelope.
Result<std::string> FailureReply(const SignedRequest& req, X509* ca_cert, EVP_PKEY* ca_key, FailInfo fail_info);

// Loads OpenSSL's "legacy" provider (single DES, which old SCEP clients still send) next to
// "default", once per process. False when the legacy one is not installed.
bool LoadLegacyProvider();

}  // namespace mdm::enroll::scep
