#include "enroll/profile.h"

#include "crypto/crypto.h"
#include "crypto/pkcs12.h"
#include "crypto/signed_data.h"
#include "enroll/device_ca.h"
#include "enroll/tokens.h"
#include "plist/property_list.h"
#include "store/settings.h"

namespace mdm::enroll {
namespace {

namespace setting = store::setting;

// Every payload the profile carries, under one reverse-DNS prefix taken from the server's host.
std::string IdentifierBase(const std::string& api_url) {
  std::string host = api_url.substr(api_url.find("://") + 3);
  host = host.substr(0, host.find_first_of(":/"));
  std::string reversed;
  for (size_t end = host.size(); end != std::string::npos;) {
    size_t dot = host.rfind('.', end == 0 ? 0 : end - 1);
    std::string part = dot == std::string::npos ? host.substr(0, end) : host.substr(dot + 1, end - dot - 1);
    if (!part.empty()) reversed += (reversed.empty() ? "" : ".") + part;
    end = dot;
  }
  return reversed + ".mdm";
}

plist_t Payload(const std::string& type, const std::string& identifier, const std::string& uuid,
                const std::string& display_name) {
  plist_t p = plist_new_dict();
  plist::SetString(p, "PayloadType", type);
  plist::SetString(p, "PayloadIdentifier", identifier);
  plist::SetString(p, "PayloadUUID", uuid);
  plist::SetInt(p, "PayloadVersion", 1);
  plist::SetString(p, "PayloadDisplayName", display_name);
  return p;
}

struct Signer {
  crypto::Cert cert;
  crypto::Pkey key;
  std::vector<crypto::Cert> chain;
};

// The imported identity, or one made once (issued by the device CA so one root covers both).
Signer LoadSigner(pqxx::transaction_base& tx) {
  auto cert_pem = store::GetSetting(tx, setting::kSigningCert);
  auto key_pem = store::GetSetting(tx, setting::kSigningKey);
  if (!cert_pem || !key_pem) {
    DeviceCa ca = LoadOrCreateDeviceCa(tx);
    crypto::Pkey key = crypto::GenerateRsaKey();
    crypto::CertRequest req;
    req.common_name = "MDM Profile Signing";
    req.organization = "mdm";
    req.days = 3650;
    auto cert = crypto::Issue(ca.cert.get(), ca.key.get(), key.get(), req);
    if (!cert.ok()) throw std::runtime_error("making the profile-signing certificate: " + cert.status().message());
    tx.exec("SELECT pg_advisory_xact_lock(7165002)");
    key_pem = store::SetSettingIfAbsent(tx, setting::kSigningKey, crypto::KeyToPem(key.get()));
    cert_pem = store::SetSettingIfAbsent(tx, setting::kSigningCert,
                                         crypto::CertToPem(cert->get()) + crypto::CertToPem(ca.cert.get()));
  }
  Signer s;
  s.key = std::move(crypto::KeyFromPem(*key_pem).value());
  // The first certificate signs; the rest is its chain.
  std::string rest = *cert_pem;
  for (size_t p = rest.find("-----BEGIN CERTIFICATE-----"); p != std::string::npos;
       p = rest.find("-----BEGIN CERTIFICATE-----", p + 1)) {
    auto c = crypto::CertFromPem(rest.substr(p));
    if (!c.ok()) break;
    if (!s.cert) s.cert = std::move(c).value();
    else s.chain.push_back(std::move(c).value());
  }
  if (!s.cert) throw std::runtime_error("the stored profile-signing certificate is unreadable");
  return s;
}

}  // namespace

std::string EnrollmentProfileIdentifier(const std::string& api_url) { return IdentifierBase(api_url) + ".enrollment"; }

namespace {
// What every enrollment needs before a profile or a link is made: the public URL and a push topic.
Result<std::string> ReadyApiUrl(pqxx::transaction_base& tx, const ProfileRequest& req) {
  auto api = store::GetSetting(tx, setting::kApiUrl);
  if (!api) return Status::Conflict("api-url is not set: mdm-console settings set api-url https://HOST/api-mdm.php");
  if (!store::GetSetting(tx, setting::kPushTopic))
    return Status::Conflict("no push certificate: mdm-console apns csr, then mdm-console apns cert FILE");
  if (req.identity != "scep" && req.identity != "pkcs12") return Status::Invalid("the identity is scep or pkcs12");
  return *api;
}
}  // namespace

Result<std::string> CreateEnrollLink(pqxx::transaction_base& tx, const ProfileRequest& req) {
  auto api = ReadyApiUrl(tx, req);
  if (!api.ok()) return api.status();
  TokenSpec spec;
  spec.kind = TokenKind::kEnrollLink;
  spec.label = req.label;
  spec.identity = req.identity;
  spec.serial_number = req.serial_number;
  spec.ttl_seconds = req.challenge_ttl_seconds;
  return *api + "/enroll/" + CreateToken(tx, spec);
}

Result<std::string> BuildEnrollmentProfileXml(pqxx::transaction_base& tx, const ProfileRequest& req) {
  auto api = ReadyApiUrl(tx, req);
  if (!api.ok()) return api.status();
  const std::string topic = store::GetSetting(tx, setting::kPushTopic).value_or("");

  const std::string base = IdentifierBase(*api);
  const std::string identity_uuid = crypto::NewUuid();
  const std::string cn = req.label.empty() ? "MDM device " + crypto::NewUuid().substr(0, 8) : req.label;
  plist_t identity;
  if (req.identity == "scep") {
    identity = Payload("com.apple.security.scep", base + ".scep", identity_uuid, "MDM identity (SCEP)");
    TokenSpec spec;
    spec.kind = TokenKind::kScepChallenge;
    spec.label = cn;
    spec.serial_number = req.serial_number;
    spec.ttl_seconds = req.challenge_ttl_seconds;
    plist_t content = plist_new_dict();
    plist::SetString(content, "URL", *api + "/scep");
    plist::SetString(content, "Name", "mdm");
    plist::SetString(content, "Challenge", CreateToken(tx, spec));
    plist::SetInt(content, "Keysize", 2048);
    plist::SetString(content, "Key Type", "RSA");
    plist::SetInt(content, "Key Usage", 5);  // signing (and encryption, for the SCEP exchange)
    plist::SetInt(content, "Retries", 3);
    plist::SetInt(content, "RetryDelay", 10);
    plist_t subject = plist_new_array(), rdn = plist_new_array(), pair = plist_new_array();
    plist_array_append_item(pair, plist::NewString("CN"));
    plist_array_append_item(pair, plist::NewString(cn));
    plist_array_append_item(rdn, pair);
    plist_array_append_item(subject, rdn);
    plist::Set(content, "Subject", subject);
    plist::Set(identity, "PayloadContent", content);
  } else {
    identity = Payload("com.apple.security.pkcs12", base + ".identity", identity_uuid, "MDM identity");
    DeviceCa ca = LoadOrCreateDeviceCa(tx);
    crypto::Pkey key = crypto::GenerateRsaKey();
    crypto::Cert cert = IssueDeviceIdentity(ca, key.get(), cn);
    const std::string password = crypto::RandomHex(16);
    auto p12 = crypto::MakeLegacyPkcs12(key.get(), cert.get(), password, cn);
    if (!p12.ok()) {
      plist_free(identity);
      return p12.status();
    }
    plist::SetData(identity, "PayloadContent", *p12);
    plist::SetString(identity, "Password", password);
  }

  plist_t mdm = Payload("com.apple.mdm", base + ".mdm", crypto::NewUuid(), "Device management");
  plist::SetString(mdm, "IdentityCertificateUUID", identity_uuid);
  plist::SetString(mdm, "Topic", topic);
  plist::SetString(mdm, "ServerURL", *api + "/mdm");
  plist::SetString(mdm, "CheckInURL", *api + "/checkin");
  plist::SetBool(mdm, "SignMessage", true);
  plist::SetBool(mdm, "CheckOutWhenRemoved", true);
  plist::SetInt(mdm, "AccessRights", 8191);
  plist_t caps = plist_new_array();
  plist_array_append_item(caps, plist::NewString("com.apple.mdm.per-user-connections"));
  plist_array_append_item(caps, plist::NewString("com.apple.mdm.bootstraptoken"));
  plist::Set(mdm, "ServerCapabilities", caps);

  plist::Owned profile(Payload("Configuration", EnrollmentProfileIdentifier(*api), crypto::NewUuid(), "MDM enrollment"));
  plist::SetString(profile.get(), "PayloadDescription", "Enrolls this device in device management.");
  plist_t content = plist_new_array();
  plist_array_append_item(content, identity);
  plist_array_append_item(content, mdm);
  plist::Set(profile.get(), "PayloadContent", content);
  return plist::ToXml(profile.get());
}

Result<std::string> BuildEnrollmentProfile(pqxx::transaction_base& tx, const ProfileRequest& req) {
  auto xml = BuildEnrollmentProfileXml(tx, req);
  if (!xml.ok()) return xml;
  Signer s = LoadSigner(tx);
  std::vector<X509*> chain;
  for (auto& c : s.chain) chain.push_back(c.get());
  return crypto::SignAttached(*xml, s.cert.get(), s.key.get(), chain);
}

Status ImportSigningIdentity(pqxx::connection& conn, const std::string& file_bytes, const std::string& key_pem,
                             const std::string& password, std::string* subject) {
  crypto::Identity id;
  if (file_bytes.find("-----BEGIN") != std::string::npos) {
    auto cert = crypto::CertFromPem(file_bytes);
    if (!cert.ok()) return Status::Invalid("the PEM file holds no certificate");
    auto key = crypto::KeyFromPem(key_pem.empty() ? file_bytes : key_pem);
    if (!key.ok()) return Status::Invalid("no private key: put it in the same PEM file or give --key KEY.pem");
    id.cert = std::move(cert).value();
    id.key = std::move(key).value();
    std::string rest = file_bytes.substr(file_bytes.find("-----END CERTIFICATE-----") + 25);
    for (size_t p = rest.find("-----BEGIN CERTIFICATE-----"); p != std::string::npos;
         p = rest.find("-----BEGIN CERTIFICATE-----", p + 1))
      if (auto c = crypto::CertFromPem(rest.substr(p)); c.ok()) id.chain.push_back(std::move(c).value());
  } else {
    auto parsed = crypto::ParsePkcs12(file_bytes, password);
    if (!parsed.ok()) return Status::Invalid(parsed.status().message() + " (PEM or PKCS#12 expected)");
    id = std::move(parsed).value();
  }
  if (!crypto::KeyMatchesCert(id.key.get(), id.cert.get()))
    return Status::Invalid("the private key does not belong to the certificate");
  std::string pem = crypto::CertToPem(id.cert.get());
  for (auto& c : id.chain) pem += crypto::CertToPem(c.get());
  pqxx::work tx(conn);
  store::SetSetting(tx, setting::kSigningCert, pem);
  store::SetSetting(tx, setting::kSigningKey, crypto::KeyToPem(id.key.get()));
  tx.commit();
  *subject = crypto::SubjectCommonName(id.cert.get());
  return Status::Ok();
}

}  // namespace mdm::enroll
