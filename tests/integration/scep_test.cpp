// The SCEP server (RFC 8894) through nginx, spoken by certmonger's scep-submit (a client we did
// not write) and by requests built here with OpenSSL's PKCS7 API, independently of the server's
// code; the identity it issues must then work for /checkin and /mdm.
#include <catch2/catch.hpp>

#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "crypto/crypto.h"
#include "enroll/tokens.h"
#include "sim_device.h"
#include "http/message.h"
#include "stack.h"

using mdm::test::SharedStack;
using mdm::test::SimDevice;
using mdm::test::Stack;
namespace crypto = mdm::crypto;

namespace {

constexpr const char* kScepSubmit = "/usr/lib/certmonger/scep-submit";

struct Pkcs7Deleter { void operator()(PKCS7* p) const { PKCS7_free(p); } };
using Pkcs7 = std::unique_ptr<PKCS7, Pkcs7Deleter>;
struct BioDeleter { void operator()(BIO* b) const { BIO_free_all(b); } };
using Bio = std::unique_ptr<BIO, BioDeleter>;
struct CertStackDeleter { void operator()(STACK_OF(X509)* s) const { sk_X509_free(s); } };
using CertStack = std::unique_ptr<STACK_OF(X509), CertStackDeleter>;
struct StringDeleter { void operator()(ASN1_STRING* s) const { ASN1_STRING_free(s); } };

// The SCEP attributes, registered with OpenSSL in this process (the server matches them as
// objects instead): a second, independent reading of RFC 8894.
int Nid(const char* oid, const char* name) {
  int nid = OBJ_txt2nid(oid);
  return nid != NID_undef ? nid : OBJ_create(oid, name, name);
}
struct ScepNids {
  int message_type = Nid("2.16.840.1.113733.1.9.2", "scepMessageType");
  int pki_status = Nid("2.16.840.1.113733.1.9.3", "scepPkiStatus");
  int fail_info = Nid("2.16.840.1.113733.1.9.4", "scepFailInfo");
  int sender_nonce = Nid("2.16.840.1.113733.1.9.5", "scepSenderNonce");
  int recipient_nonce = Nid("2.16.840.1.113733.1.9.6", "scepRecipientNonce");
  int transaction_id = Nid("2.16.840.1.113733.1.9.7", "scepTransactionID");
};
const ScepNids& Nids() {
  static const ScepNids n;
  return n;
}

// Single DES lives in OpenSSL's legacy provider; loading it switches the implicit default off.
void LoadLegacyProvider() {
  static OSSL_PROVIDER* const default_provider = OSSL_PROVIDER_load(nullptr, "default");
  static OSSL_PROVIDER* const legacy_provider = OSSL_PROVIDER_load(nullptr, "legacy");
  REQUIRE(default_provider);
  REQUIRE(legacy_provider);
}

// The BIO reads `data` in place: it must outlive the BIO.
Bio MemBio(const std::string& data) { return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size()))); }
Bio MemBio(std::string&&) = delete;

std::string BioContents(BIO* b) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(b, &mem);
  return mem ? std::string(mem->data, mem->length) : std::string();
}

std::string Der(PKCS7* p7) {
  unsigned char* der = nullptr;
  int n = i2d_PKCS7(p7, &der);
  REQUIRE(n > 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

Pkcs7 FromDer(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkcs7 p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  INFO(crypto::LastError());
  REQUIRE(p7);
  return p7;
}

std::string Pem(PKCS7* p7) {
  Bio b(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PKCS7(b.get(), p7) == 1);
  return BioContents(b.get());
}

std::string File(const std::string& name, const std::string& data) {
  std::string path = SharedStack().root() + "/" + name;
  mdm::test::WriteFile(path, data);
  return path;
}

const mdm::enroll::DeviceCa& Ca() {
  static const mdm::enroll::DeviceCa ca = SharedStack().DeviceCa();
  return ca;
}

std::string Challenge(int64_t ttl_seconds = 3600) {
  auto conn = SharedStack().Connect();
  pqxx::work tx(*conn);
  mdm::enroll::TokenSpec spec;
  spec.kind = mdm::enroll::TokenKind::kScepChallenge;
  spec.label = "scep test";
  spec.ttl_seconds = ttl_seconds;
  std::string secret = mdm::enroll::CreateToken(tx, spec);
  tx.commit();
  return secret;
}

// What a device sends: the knobs the tests turn.
struct RequestSpec {
  std::string challenge;                         // "" leaves challengePassword out
  std::string message_type = "19";               // PKCSReq; 17 RenewalReq
  const EVP_MD* digest = EVP_sha256();
  const EVP_CIPHER* cipher = EVP_aes_128_cbc();
  X509* recipient = nullptr;                     // whom the envelope is for; the device CA by default
  X509* signer = nullptr;                        // with signer_key: an existing identity (renewal)
  EVP_PKEY* signer_key = nullptr;
};

// A RenewalReq signed with an existing identity instead of a challenge.
RequestSpec Renewal(X509* identity, EVP_PKEY* identity_key) {
  RequestSpec spec;
  spec.message_type = "17";
  spec.signer = identity;
  spec.signer_key = identity_key;
  return spec;
}

struct ScepRequest {
  std::string der;
  std::string transaction_id, sender_nonce;
  crypto::Pkey key;           // the new key, in the CSR
  crypto::Csr csr;
  crypto::Cert signer;        // the certificate the reply is encrypted to
  EVP_PKEY* signer_key = nullptr;
  std::string envelope;       // the pkcsPKIEnvelope as sent
};

void AddAttribute(PKCS7_SIGNER_INFO* si, int nid, int type, const std::string& value) {
  std::unique_ptr<ASN1_STRING, StringDeleter> s(ASN1_STRING_type_new(type));
  REQUIRE(ASN1_STRING_set(s.get(), value.data(), static_cast<int>(value.size())) == 1);
  REQUIRE(PKCS7_add_signed_attribute(si, nid, type, s.get()) == 1);
  s.release();  // the attribute owns it now
}

ScepRequest MakeRequest(const RequestSpec& spec) {
  ScepRequest r;
  r.key = crypto::GenerateRsaKey();
  crypto::CertRequest subject;
  subject.common_name = "scep device " + crypto::RandomHex(4);
  subject.organization = "Example School";
  r.csr = crypto::MakeCsr(r.key.get(), subject).value();
  if (!spec.challenge.empty()) {
    REQUIRE(X509_REQ_add1_attr_by_NID(r.csr.get(), NID_pkcs9_challengePassword, MBSTRING_ASC,
                                      reinterpret_cast<const unsigned char*>(spec.challenge.c_str()), -1) == 1);
    REQUIRE(X509_REQ_sign(r.csr.get(), r.key.get(), EVP_sha256()) > 0);
  }
  if (spec.signer) {
    X509_up_ref(spec.signer);
    r.signer.reset(spec.signer);
    r.signer_key = spec.signer_key;
  } else {
    // RFC 8894 2.3: a self-signed certificate with the CSR's key and subject.
    subject.days = 1;
    r.signer = crypto::SelfSign(r.key.get(), subject).value();
    r.signer_key = r.key.get();
  }

  CertStack recipients(sk_X509_new_null());
  sk_X509_push(recipients.get(), spec.recipient ? spec.recipient : Ca().cert.get());
  std::string csr_der = crypto::CsrToDer(r.csr.get());
  Bio csr_bio = MemBio(csr_der);
  Pkcs7 envelope(PKCS7_encrypt(recipients.get(), csr_bio.get(), spec.cipher, PKCS7_BINARY));
  INFO(crypto::LastError());
  REQUIRE(envelope);
  r.envelope = Der(envelope.get());

  const int flags = PKCS7_BINARY | PKCS7_PARTIAL | PKCS7_NOSMIMECAP;
  Pkcs7 p7(PKCS7_sign(nullptr, nullptr, nullptr, nullptr, flags));
  REQUIRE(p7);
  PKCS7_SIGNER_INFO* si = PKCS7_sign_add_signer(p7.get(), r.signer.get(), r.signer_key, spec.digest, flags);
  REQUIRE(si);
  r.transaction_id = crypto::RandomHex(16);
  r.sender_nonce = crypto::RandomBytes(16);
  AddAttribute(si, Nids().message_type, V_ASN1_PRINTABLESTRING, spec.message_type);
  AddAttribute(si, Nids().transaction_id, V_ASN1_PRINTABLESTRING, r.transaction_id);
  AddAttribute(si, Nids().sender_nonce, V_ASN1_OCTET_STRING, r.sender_nonce);
  Bio content = MemBio(r.envelope);
  REQUIRE(PKCS7_final(p7.get(), content.get(), flags) == 1);
  r.der = Der(p7.get());
  return r;
}

std::string Attribute(PKCS7_SIGNER_INFO* si, int nid) {
  ASN1_TYPE* v = PKCS7_get_signed_attribute(si, nid);
  if (!v || (v->type != V_ASN1_PRINTABLESTRING && v->type != V_ASN1_OCTET_STRING)) return "";
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v->value.asn1_string)),
                     static_cast<size_t>(ASN1_STRING_length(v->value.asn1_string)));
}

// A CertRep, once its signature verified against the device CA as the only root.
struct CertRep {
  std::string message_type, pki_status, fail_info, transaction_id, sender_nonce, recipient_nonce;
  int digest_nid = NID_undef;
  std::string content;  // the pkcsPKIEnvelope (empty for a FAILURE)
};

CertRep ReadCertRep(const mdm::test::HttpResponse& http) {
  INFO(http.body.substr(0, 300));
  REQUIRE(http.status == 200);
  REQUIRE(http.headers.at("content-type") == "application/x-pki-message");
  Pkcs7 p7 = FromDer(http.body);
  REQUIRE(PKCS7_type_is_signed(p7.get()));
  crypto::Store roots = crypto::MakeStore({Ca().cert.get()});
  Bio out(BIO_new(BIO_s_mem()));
  INFO(crypto::LastError());
  REQUIRE(PKCS7_verify(p7.get(), nullptr, roots.get(), nullptr, out.get(), PKCS7_BINARY) == 1);
  CertStack signers(PKCS7_get0_signers(p7.get(), nullptr, 0));
  REQUIRE(sk_X509_num(signers.get()) == 1);
  CHECK(X509_cmp(sk_X509_value(signers.get(), 0), Ca().cert.get()) == 0);
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7.get()), 0);
  CertRep rep;
  rep.message_type = Attribute(si, Nids().message_type);
  rep.pki_status = Attribute(si, Nids().pki_status);
  rep.fail_info = Attribute(si, Nids().fail_info);
  rep.transaction_id = Attribute(si, Nids().transaction_id);
  rep.sender_nonce = Attribute(si, Nids().sender_nonce);
  rep.recipient_nonce = Attribute(si, Nids().recipient_nonce);
  X509_ALGOR* digest = nullptr;
  PKCS7_SIGNER_INFO_get0_algs(si, nullptr, &digest, nullptr);
  rep.digest_nid = OBJ_obj2nid(digest->algorithm);
  rep.content = BioContents(out.get());
  return rep;
}

// The certificate in a SUCCESS pkcsPKIEnvelope, decrypted with the requester's signer key;
// `cipher_nid` receives the envelope's cipher.
crypto::Cert OpenEnvelope(const std::string& envelope_der, const ScepRequest& req, int* cipher_nid = nullptr) {
  Pkcs7 env = FromDer(envelope_der);
  REQUIRE(PKCS7_type_is_enveloped(env.get()));
  if (cipher_nid) *cipher_nid = OBJ_obj2nid(env->d.enveloped->enc_data->algorithm->algorithm);
  Bio out(BIO_new(BIO_s_mem()));
  INFO(crypto::LastError());
  REQUIRE(PKCS7_decrypt(env.get(), req.signer_key, req.signer.get(), out.get(), 0) == 1);
  Pkcs7 certs_only = FromDer(BioContents(out.get()));
  REQUIRE(PKCS7_type_is_signed(certs_only.get()));
  CHECK(sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(certs_only.get())) == 0);
  STACK_OF(X509)* certs = certs_only->d.sign->cert;
  REQUIRE(sk_X509_num(certs) == 1);
  X509* cert = sk_X509_value(certs, 0);
  X509_up_ref(cert);
  return crypto::Cert(cert);
}

// What every SUCCESS must hold: a CertRep answering this request, with a certificate from the
// device CA for the CSR's key and subject, a two-year client identity.
crypto::Cert ExpectIssued(const mdm::test::HttpResponse& http, const ScepRequest& req, int* cipher_nid = nullptr) {
  CertRep rep = ReadCertRep(http);
  CHECK(rep.message_type == "3");
  REQUIRE(rep.pki_status == "0");
  CHECK(rep.fail_info.empty());
  CHECK(rep.transaction_id == req.transaction_id);
  CHECK(rep.recipient_nonce == req.sender_nonce);
  CHECK(rep.sender_nonce.size() == 16);
  CHECK(rep.sender_nonce != req.sender_nonce);
  crypto::Cert cert = OpenEnvelope(rep.content, req, cipher_nid);
  crypto::Store roots = crypto::MakeStore({Ca().cert.get()});
  CHECK(crypto::VerifyChain(roots.get(), cert.get()).ok());
  CHECK(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), req.key.get()) == 1);
  CHECK(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_REQ_get_subject_name(req.csr.get())) == 0);
  CHECK((X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT) != 0);
  CHECK((X509_get_key_usage(cert.get()) & (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)) ==
        (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  int64_t days = (crypto::NotAfter(cert.get()) - std::time(nullptr)) / 86400;
  CHECK(days >= 729);
  CHECK(days <= 730);
  return cert;
}

// A FAILURE answering this request, with `fail_info` and no certificate.
void ExpectRefused(const mdm::test::HttpResponse& http, const ScepRequest& req, const std::string& fail_info) {
  CertRep rep = ReadCertRep(http);
  CHECK(rep.message_type == "3");
  CHECK(rep.pki_status == "2");
  CHECK(rep.fail_info == fail_info);
  CHECK(rep.transaction_id == req.transaction_id);
  CHECK(rep.recipient_nonce == req.sender_nonce);
  CHECK(rep.content.empty());
}

mdm::test::HttpResponse Post(const std::string& der, const std::string& query = "operation=PKIOperation") {
  return SharedStack().Send("POST", "/scep?" + query, der, {{"Content-Type", "application/x-pki-message"}});
}

// scep-submit -p asks GetCACaps, then sends the PKIOperation in a second request made without
// the CA file given with -R, so over TLS it trusts only the system's CAs and refuses the stack's
// certificate. It reaches the stack through this plain-HTTP nginx instead, which forwards to the
// stack's TLS port and checks its certificate.
class PlainHttpFront {
 public:
  PlainHttpFront() {
    const std::string& stack_url = SharedStack().base_url();  // https://localhost:PORT/api-mdm.php
    std::string origin = stack_url.substr(0, stack_url.find('/', std::string("https://").size()));
    int port = mdm::test::FreeTcpPort();
    const std::string& d = dir_.path();
    mdm::test::WriteFile(d + "/nginx.conf",
                         "daemon off;\npid " + d + "/nginx.pid;\nerror_log " + d + "/error.log warn;\n"
                         "events { worker_connections 64; }\n"
                         "http {\n  access_log off;\n"
                         "  client_body_temp_path " + d + "/body;\n  proxy_temp_path " + d + "/proxy;\n"
                         "  fastcgi_temp_path " + d + "/fastcgi;\n  uwsgi_temp_path " + d + "/uwsgi;\n"
                         "  scgi_temp_path " + d + "/scgi;\n  large_client_header_buffers 4 32k;\n"
                         "  server {\n    listen 127.0.0.1:" + std::to_string(port) + ";\n"
                         "    location / {\n      proxy_pass " + origin + ";\n"
                         "      proxy_ssl_verify on;\n      proxy_ssl_name localhost;\n"
                         "      proxy_ssl_trusted_certificate " + SharedStack().tls_cert() + ";\n    }\n  }\n}\n");
    nginx_ = mdm::test::Process({"nginx", "-p", d, "-e", d + "/error.log", "-c", d + "/nginx.conf"},
                                d + "/stdout.log");
    url_ = "http://127.0.0.1:" + std::to_string(port) + "/api-mdm.php/scep";
    mdm::test::HttpClient client;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (client.Request("GET", url_ + "?operation=GetCACaps", "").status != 200) {
      if (std::chrono::steady_clock::now() > deadline || !nginx_.running())
        FAIL("the plain-HTTP front did not come up: " << mdm::test::ReadFile(d + "/error.log"));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  const std::string& url() const { return url_; }

 private:
  mdm::test::TempDir dir_;  // declared first: removed after nginx stopped
  mdm::test::Process nginx_;
  std::string url_;
};

mdm::test::CommandResult ScepSubmit(const std::string& url, std::vector<std::string> args) {
  std::vector<std::string> argv = {kScepSubmit, "-u", url};
  argv.insert(argv.end(), args.begin(), args.end());
  return mdm::test::Run(argv);
}

// A pkiMessage sent with scep-submit -p: what it prints and its exit status. -r names the RA
// certificate that signs CertReps and -N the CA that issued it; the device CA is both here, and
// scep-submit trusts -N only (with -r alone it refuses our signature as self-signed).
mdm::test::CommandResult SubmitWithScepSubmit(const ScepRequest& req) {
  static PlainHttpFront front;
  std::string ca = File("scep-ca.pem", crypto::CertToPem(Ca().cert.get()));
  std::string message = File("scep-req-" + req.transaction_id + ".pem", Pem(FromDer(req.der).get()));
  return ScepSubmit(front.url(), {"-r", ca, "-N", ca, "-p", message});
}

}  // namespace

TEST_CASE("scep-submit reads the capabilities and the CA certificate", "[scep]") {
  const std::string url = SharedStack().base_url() + "/scep";
  auto caps = ScepSubmit(url, {"-R", SharedStack().tls_cert(), "-c"});
  INFO(caps.output);
  REQUIRE(caps.exit_code == 0);
  for (const char* cap : {"POSTPKIOperation", "SHA-256", "SHA-1", "AES", "DES3", "SCEPStandard", "Renewal"})
    CHECK_THAT(caps.output, Catch::Contains(std::string(cap) + "\n"));

  auto certs = ScepSubmit(url, {"-R", SharedStack().tls_cert(), "-C"});
  INFO(certs.output);
  REQUIRE(certs.exit_code == 0);
  auto printed = crypto::CertFromPem(certs.output);
  REQUIRE(printed.ok());
  CHECK(X509_cmp(printed->get(), Ca().cert.get()) == 0);

  auto direct = SharedStack().Get("/scep?operation=GetCACert&message=mdm");
  CHECK(direct.status == 200);
  CHECK(direct.headers["content-type"] == "application/x-x509-ca-cert");
  CHECK(direct.body == crypto::CertToDer(Ca().cert.get()));
}

TEST_CASE("a PKCSReq sent by scep-submit is answered with a certificate it verifies", "[scep]") {
  RequestSpec spec;
  spec.challenge = Challenge();
  ScepRequest req = MakeRequest(spec);
  auto r = SubmitWithScepSubmit(req);
  INFO(r.output);
  // Exit 0: it checked the CA's signature, messageType CertRep, our transactionID, our nonce as
  // recipientNonce and a senderNonce, then printed the pkcsPKIEnvelope.
  REQUIRE(r.exit_code == 0);
  auto begin = r.output.find("-----BEGIN PKCS7-----");
  REQUIRE(begin != std::string::npos);
  std::string printed = r.output.substr(begin);
  Bio pem = MemBio(printed);
  Pkcs7 envelope(PEM_read_bio_PKCS7(pem.get(), nullptr, nullptr, nullptr));
  REQUIRE(envelope);
  crypto::Cert cert = OpenEnvelope(Der(envelope.get()), req);
  CHECK(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), req.key.get()) == 1);
  crypto::Store roots = crypto::MakeStore({Ca().cert.get()});
  CHECK(crypto::VerifyChain(roots.get(), cert.get()).ok());

  SECTION("the same challenge again: scep-submit reports the server's badRequest") {
    ScepRequest again = MakeRequest(spec);
    auto refused = SubmitWithScepSubmit(again);
    INFO(refused.output);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.output, Catch::Contains("not permitted"));
  }
}

TEST_CASE("PKIOperation by POST and by GET, the message in the query string", "[scep]") {
  SECTION("POST, the DER as the body") {
    ScepRequest req = MakeRequest({.challenge = Challenge()});
    ExpectIssued(Post(req.der), req);
  }
  SECTION("POST with a message= repeated in the query string: the body counts") {
    ScepRequest req = MakeRequest({.challenge = Challenge()});
    ExpectIssued(Post(req.der, "operation=PKIOperation&message=bm90IHRoaXM%3D"), req);
  }
  SECTION("GET, base64 URL-encoded") {
    ScepRequest req = MakeRequest({.challenge = Challenge()});
    std::string b64 = crypto::Base64Encode(req.der);
    REQUIRE(b64.find('+') != std::string::npos);  // else this would not test the '+' handling
    ExpectIssued(SharedStack().Get("/scep?operation=PKIOperation&message=" + mdm::http::UrlEncode(b64)), req);
  }
  SECTION("GET, base64 with its '+' left as is (clients that only escape '/' and '=')") {
    ScepRequest req = MakeRequest({.challenge = Challenge()});
    std::string b64 = crypto::Base64Encode(req.der), escaped;
    for (char c : b64) escaped += c == '/' ? "%2F" : c == '=' ? "%3D" : std::string(1, c);
    REQUIRE(escaped.find('+') != std::string::npos);
    ExpectIssued(SharedStack().Get("/scep?operation=PKIOperation&message=" + escaped), req);
  }
}

TEST_CASE("old clients: SHA-1 signatures, 3DES and single DES envelopes, answered in kind", "[scep]") {
  LoadLegacyProvider();
  RequestSpec spec;
  spec.digest = EVP_sha1();
  int expected_cipher = NID_undef;
  SECTION("3DES") {
    spec.cipher = EVP_des_ede3_cbc();
    expected_cipher = NID_des_ede3_cbc;
  }
  SECTION("DES") {
    spec.cipher = EVP_des_cbc();
    expected_cipher = NID_des_cbc;
  }
  SECTION("AES-256") {
    spec.cipher = EVP_aes_256_cbc();
    expected_cipher = NID_aes_256_cbc;
  }
  spec.challenge = Challenge();
  ScepRequest req = MakeRequest(spec);
  auto http = Post(req.der);
  int cipher = NID_undef;
  ExpectIssued(http, req, &cipher);
  CHECK(cipher == expected_cipher);
  CHECK(ReadCertRep(http).digest_nid == NID_sha1);
}

TEST_CASE("a challenge is good once, before it expires; nothing is issued otherwise", "[scep]") {
  SECTION("reused") {
    std::string challenge = Challenge();
    ScepRequest first = MakeRequest({.challenge = challenge});
    ExpectIssued(Post(first.der), first);
    ScepRequest second = MakeRequest({.challenge = challenge});
    ExpectRefused(Post(second.der), second, "2");
  }
  SECTION("expired") {
    ScepRequest req = MakeRequest({.challenge = Challenge(-60)});
    ExpectRefused(Post(req.der), req, "2");
  }
  SECTION("unknown") {
    ScepRequest req = MakeRequest({.challenge = crypto::RandomHex(20)});
    ExpectRefused(Post(req.der), req, "2");
  }
  SECTION("none") {
    ScepRequest req = MakeRequest({});
    ExpectRefused(Post(req.der), req, "2");
  }
  SECTION("a refused request does not use the challenge up") {
    std::string challenge = Challenge();
    crypto::Pkey other_key = crypto::GenerateRsaKey();
    crypto::Cert other = crypto::SelfSign(other_key.get(), {}).value();
    ScepRequest foreign_envelope = MakeRequest({.challenge = challenge, .recipient = other.get()});
    ExpectRefused(Post(foreign_envelope.der), foreign_envelope, "1");
    ScepRequest good = MakeRequest({.challenge = challenge});
    ExpectIssued(Post(good.der), good);
  }
}

TEST_CASE("signatures that do not verify and algorithms we do not take are refused", "[scep]") {
  SECTION("the signed content altered: badMessageCheck") {
    ScepRequest req = MakeRequest({.challenge = Challenge()});
    auto at = req.der.find(req.envelope);
    REQUIRE(at != std::string::npos);
    req.der[at + req.envelope.size() - 1] ^= 0x01;
    ExpectRefused(Post(req.der), req, "1");
  }
  SECTION("a SHA-384 signature: badAlg") {
    ScepRequest req = MakeRequest({.challenge = Challenge(), .digest = EVP_sha384()});
    ExpectRefused(Post(req.der), req, "0");
  }
  SECTION("an RC2 envelope: badAlg") {
    LoadLegacyProvider();
    ScepRequest req = MakeRequest({.challenge = Challenge(), .cipher = EVP_rc2_cbc()});
    ExpectRefused(Post(req.der), req, "0");
  }
  SECTION("a messageType we do not serve (GetCRL): badRequest") {
    ScepRequest req = MakeRequest({.challenge = Challenge(), .message_type = "22"});
    ExpectRefused(Post(req.der), req, "2");
  }
  SECTION("not PKCS#7 at all: 400") {
    CHECK(Post("certainly not DER").status == 400);
    CHECK(SharedStack().Get("/scep?operation=PKIOperation&message=%25%25").status == 400);
    CHECK(SharedStack().Get("/scep?operation=PKIOperation").status == 400);
  }
  SECTION("an unknown operation: 400") {
    CHECK(SharedStack().Get("/scep?operation=GetNextCACert").status == 400);
    CHECK(SharedStack().Get("/scep").status == 400);
  }
}

TEST_CASE("RenewalReq: signed by an identity from our CA, no challenge needed", "[scep]") {
  ScepRequest enrolled = MakeRequest({.challenge = Challenge()});
  crypto::Cert identity = ExpectIssued(Post(enrolled.der), enrolled);

  ScepRequest renewal = MakeRequest(Renewal(identity.get(), enrolled.key.get()));
  crypto::Cert renewed = ExpectIssued(Post(renewal.der), renewal);
  CHECK(X509_cmp(renewed.get(), identity.get()) != 0);

  crypto::CertRequest foreign_ca_req;
  foreign_ca_req.common_name = "Foreign CA";
  foreign_ca_req.is_ca = true;
  crypto::Pkey foreign_key = crypto::GenerateRsaKey();
  crypto::Cert foreign_ca = crypto::SelfSign(foreign_key.get(), foreign_ca_req).value();
  crypto::Pkey device_key = crypto::GenerateRsaKey();
  crypto::CertRequest device;
  device.common_name = "impostor";
  device.client_auth = true;
  crypto::Cert foreign_identity = crypto::Issue(foreign_ca.get(), foreign_key.get(), device_key.get(), device).value();
  ScepRequest impostor = MakeRequest(Renewal(foreign_identity.get(), device_key.get()));
  ExpectRefused(Post(impostor.der), impostor, "1");
}

TEST_CASE("a renewed identity takes over the device's binding", "[scep]") {
  ScepRequest first = MakeRequest({.challenge = Challenge()});
  crypto::Cert identity = ExpectIssued(Post(first.der), first);
  std::string udid = crypto::NewUuid();
  EVP_PKEY_up_ref(first.key.get());
  SimDevice before(SharedStack().base_url(), SharedStack().tls_cert(), crypto::Cert(X509_dup(identity.get())),
                   crypto::Pkey(first.key.get()), udid);
  REQUIRE(before.Authenticate(Stack::kTopic).status == 200);
  REQUIRE(before.TokenUpdate(Stack::kTopic).status == 200);

  ScepRequest renewal = MakeRequest(Renewal(identity.get(), first.key.get()));
  crypto::Cert renewed = ExpectIssued(Post(renewal.der), renewal);
  SimDevice after(SharedStack().base_url(), SharedStack().tls_cert(), std::move(renewed), std::move(renewal.key), udid);
  CHECK(after.Idle().status == 200);   // no new Authenticate needed
  CHECK(before.Idle().status == 400);  // the old identity no longer speaks for it
}

TEST_CASE("the identity SCEP issued signs check-ins that /checkin and /mdm accept", "[scep]") {
  ScepRequest req = MakeRequest({.challenge = Challenge()});
  crypto::Cert cert = ExpectIssued(Post(req.der), req);
  SimDevice device(SharedStack().base_url(), SharedStack().tls_cert(), std::move(cert), std::move(req.key));
  auto a = device.Authenticate(Stack::kTopic);
  INFO(a.body);
  CHECK(a.status == 200);
  CHECK(device.TokenUpdate(Stack::kTopic).status == 200);
  auto idle = device.Idle();
  CHECK(idle.status == 200);
  CHECK(idle.body.empty());
}

TEST_CASE("an identity from a foreign CA is still refused by /checkin and /mdm", "[scep]") {
  crypto::CertRequest ca_req;
  ca_req.common_name = "Foreign CA";
  ca_req.is_ca = true;
  crypto::Pkey ca_key = crypto::GenerateRsaKey();
  crypto::Cert foreign_ca = crypto::SelfSign(ca_key.get(), ca_req).value();
  crypto::Pkey key = crypto::GenerateRsaKey();
  crypto::CertRequest device_req;
  device_req.common_name = "foreign device";
  device_req.client_auth = true;
  crypto::Cert cert = crypto::Issue(foreign_ca.get(), ca_key.get(), key.get(), device_req).value();
  SimDevice device(SharedStack().base_url(), SharedStack().tls_cert(), std::move(cert), std::move(key));
  CHECK(device.Authenticate(Stack::kTopic).status == 400);
  CHECK(device.Idle().status == 400);
}
