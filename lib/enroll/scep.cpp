#include "enroll/scep.h"

#include <openssl/objects.h>

#include <algorithm>

#include "core/log.h"
#include "enroll/scep_message.h"
#include "enroll/tokens.h"
#include "store/sql_util.h"

namespace mdm::enroll {
namespace {

// GetCACaps: one capability per line (RFC 8894 3.5.2).
constexpr const char* kCaps = "POSTPKIOperation\nSHA-256\nSHA-1\nAES\nDES3\nSCEPStandard\nRenewal\n";
// Device identities last two years; a RenewalReq replaces one before it runs out.
constexpr int kIdentityDays = 730;

http::Response CertRep(Result<std::string> reply, std::string reason) {
  if (!reply.ok()) return http::Response::Text(500, "internal error", "CertRep: " + reply.status().message());
  http::Response r;
  r.content_type = "application/x-pki-message";
  r.body = std::move(reply).value();
  r.reason = std::move(reason);
  return r;
}

// The pkiMessage's DER: the POST body, else base64 in message= (GET, or a POST that put it
// in the query string only).
// A PKCSReq or RenewalReq (a CSR and a certificate, enveloped and signed) is a few KiB; anyone
// may send one before it is authenticated (by the challenge inside), so OpenSSL's DER parser
// never sees more than this.
constexpr size_t kMaxPkiMessageBytes = 64 * 1024;

Result<std::string> MessageDer(const http::Request& req) {
  if (req.method == "POST" && !req.body.empty()) {
    if (req.body.size() > kMaxPkiMessageBytes) return Status::Invalid("PKIOperation: a message larger than 64 KiB");
    return req.body;
  }
  std::string text, der;
  if (!http::QueryParam(req.query, "message", &text) || text.empty())
    return Status::Invalid("PKIOperation without a message (POST body or message= in the query string)");
  // QueryParam decodes '+' as a space; base64 has no spaces, so each one was a literal '+'.
  std::replace(text.begin(), text.end(), ' ', '+');
  if (!crypto::Base64Decode(text, &der)) return Status::Invalid("PKIOperation: message= is not base64");
  return der;
}

}  // namespace

ScepService::ScepService() {
  if (!scep::LoadLegacyProvider())
    log::Warn().msg("OpenSSL's legacy provider is missing: SCEP requests enveloped with single DES get badAlg");
}

const DeviceCa& ScepService::Ca(pqxx::connection& conn) {
  std::call_once(ca_once_, [&] {
    ca_ = LoadOrCreateDeviceCa(conn);
    ca_store_ = crypto::MakeStore({ca_.cert.get()});
  });
  return ca_;
}

http::Response ScepService::Handle(const http::Request& req, pqxx::connection& conn) {
  if (req.method != "GET" && req.method != "POST") return http::Response::Text(405, "SCEP answers GET and POST only");
  std::string operation;
  if (!http::QueryParam(req.query, "operation", &operation))
    return http::Response::Text(400, "SCEP needs operation=GetCACaps, GetCACert or PKIOperation");
  if (operation == "GetCACaps") return http::Response::Text(200, kCaps);
  if (operation == "GetCACert") {
    http::Response r;
    r.content_type = "application/x-x509-ca-cert";
    r.body = crypto::CertToDer(Ca(conn).cert.get());
    return r;
  }
  if (operation == "PKIOperation") return PkiOperation(req, conn);
  return http::Response::Text(400, "unknown SCEP operation '" + operation + "'");
}

http::Response ScepService::PkiOperation(const http::Request& req, pqxx::connection& conn) {
  auto der = MessageDer(req);
  if (!der.ok()) return http::Response::Text(400, der.status().message());
  auto parsed = scep::ReadSignedRequest(*der);
  if (!parsed.ok()) return http::Response::Text(400, "PKIOperation: " + parsed.status().message());
  const scep::SignedRequest& msg = *parsed;
  const DeviceCa& ca = Ca(conn);

  // From here on the request is answered with a CertRep; a refusal issues nothing.
  auto refuse = [&](scep::FailInfo fail_info, const std::string& why) {
    return CertRep(scep::FailureReply(msg, ca.cert.get(), ca.key.get(), fail_info),
                   std::string("SCEP ") + scep::FailInfoName(fail_info) + ": " + why);
  };
  using scep::FailInfo;
  if (!scep::DigestSupported(msg.digest_nid))
    return refuse(FailInfo::kBadAlg,
                  std::string("signature digest ") + OBJ_nid2sn(msg.digest_nid) + " (SHA-1 and SHA-256 are accepted)");
  auto verified = scep::VerifySignature(msg);
  if (!verified.ok()) return refuse(FailInfo::kBadMessageCheck, verified.status().message());
  if (msg.transaction_id.empty() || msg.sender_nonce.empty())
    return refuse(FailInfo::kBadRequest, "the transactionID or the senderNonce is missing");
  const bool renewal = msg.message_type == scep::kRenewalReq;
  if (!renewal && msg.message_type != scep::kPkcsReq)
    return refuse(FailInfo::kBadRequest, "messageType '" + msg.message_type + "' (PKCSReq and RenewalReq are served)");
  if (renewal) {
    // What replaces the challenge: the identity being renewed, issued by our CA.
    Status chain = crypto::VerifyChain(ca_store_.get(), verified->signer.get());
    if (!chain.ok()) return refuse(FailInfo::kBadMessageCheck, "RenewalReq signer " + chain.message());
  }

  auto envelope = scep::ReadEnvelope(verified->content);
  if (!envelope.ok()) return refuse(FailInfo::kBadRequest, envelope.status().message());
  if (!scep::CipherSupported(envelope->cipher_nid))
    return refuse(FailInfo::kBadAlg, std::string("pkcsPKIEnvelope cipher ") + OBJ_nid2sn(envelope->cipher_nid) +
                                         " (AES, DES3 and DES are accepted)");
  auto csr_der = scep::Decrypt(*envelope, ca.cert.get(), ca.key.get());
  if (!csr_der.ok()) return refuse(FailInfo::kBadMessageCheck, csr_der.status().message());
  auto csr = crypto::CsrFromPemOrDer(*csr_der);
  if (!csr.ok()) return refuse(FailInfo::kBadRequest, "the pkcsPKIEnvelope holds no PKCS#10 request");
  if (!scep::CsrSignatureValid(csr->get()))
    return refuse(FailInfo::kBadMessageCheck, "the PKCS#10 request is not signed by its own key");

  // The challenge is used up (or, for a renewal, the binding moved) in the transaction that
  // only commits once the answer is built.
  pqxx::work tx(conn);
  if (!renewal) {
    auto challenge = scep::ChallengePassword(csr->get());
    if (!challenge) return refuse(FailInfo::kBadRequest, "the PKCS#10 request has no challengePassword");
    auto use = ConsumeToken(tx, TokenKind::kScepChallenge, *challenge);
    if (!use.ok()) return refuse(FailInfo::kBadRequest, "challengePassword " + use.status().message());
  }
  crypto::CertRequest identity;
  identity.days = kIdentityDays;
  identity.client_auth = true;
  auto issued = crypto::IssueForCsrSubject(ca.cert.get(), ca.key.get(), csr->get(), identity);
  if (!issued.ok()) return http::Response::Text(500, "internal error", "SCEP issuing: " + issued.status().message());
  auto reply = scep::SuccessReply(msg, ca.cert.get(), ca.key.get(), issued->get(), verified->signer.get(),
                                  envelope->cipher_nid);
  if (renewal) {
    // The device speaks with its renewed identity from now on: the binding follows it.
    store::Exec(tx, "scep_renew_binding",
                "UPDATE enrollments SET cert_sha256 = decode($2, 'hex'), updated_at = now() "
                "WHERE channel = 'device' AND cert_sha256 = decode($1, 'hex')",
                crypto::Hex(crypto::CertSha256(verified->signer.get())), crypto::Hex(crypto::CertSha256(issued->get())));
  }
  if (reply.ok()) tx.commit();
  return CertRep(std::move(reply), "");
}

}  // namespace mdm::enroll
