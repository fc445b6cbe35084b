#include "certs/certs.h"

#include <charconv>
#include <ctime>
#include <set>

#include <rapidjson/document.h>

#include "abm/sync.h"
#include "certs/apple_pki.h"
#include "crypto/crypto.h"
#include "json/json.h"
#include "plist/property_list.h"
#include "store/settings.h"

namespace mdm::certs {
namespace {

namespace setting = store::setting;

// Loads the key stored under `name`, making and storing an RSA-2048 key first when absent.
crypto::Pkey KeyOnce(pqxx::work& tx, const char* name) {
  auto pem = store::GetSetting(tx, name);
  if (!pem) {
    crypto::Pkey fresh = crypto::GenerateRsaKey(2048);
    pem = store::SetSettingIfAbsent(tx, name, crypto::KeyToPem(fresh.get()));
  }
  auto key = crypto::KeyFromPem(*pem);
  if (!key.ok()) throw std::runtime_error(std::string("the stored key ") + name + " is unreadable");
  return std::move(key).value();
}

Result<crypto::Cert> StoredCert(pqxx::work& tx, const char* name) {
  auto pem = store::GetSetting(tx, name);
  if (!pem) return Status::NotFound(name);
  return crypto::CertFromPem(*pem);
}

Result<crypto::Cert> ReadCertFile(const std::string& bytes, const char* what) {
  auto cert = crypto::CertFromPemOrDer(bytes);
  if (!cert.ok()) return Status::Invalid(std::string("the file is not a certificate (PEM or DER); give the ") + what);
  return cert;
}

std::string Days(int64_t seconds) { return std::to_string(seconds / 86400); }

// "2026-01-02T03:04:05Z" as unix seconds; -1 when it is not that shape.
int64_t ParseUtc(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') return -1;
  return static_cast<int64_t>(timegm(&tm));
}

void AddExpiry(StatusReport& r, const std::string& what, int64_t expires_at, int64_t now) {
  r.lines.push_back(what + " expires " + crypto::FormatTime(expires_at));
  if (expires_at <= now) {
    r.expired = true;
    r.warnings.push_back(what + " EXPIRED on " + crypto::FormatTime(expires_at));
  } else if (expires_at - now < 30 * 86400) {
    r.warnings.push_back(what + " expires in " + Days(expires_at - now) + " days (" + crypto::FormatTime(expires_at) + ")");
  }
}

}  // namespace

Status SetApiUrl(pqxx::transaction_base& tx, const std::string& url, std::string* warning) {
  const std::string suffix = "/api-mdm.php";
  bool https = url.rfind("https://", 0) == 0, http = url.rfind("http://", 0) == 0;
  if (!https && !http) return Status::Invalid("api-url must start with https:// (e.g. https://mdm.example.com/api-mdm.php)");
  std::string host = url.substr(https ? 8 : 7);
  if (host.empty() || host[0] == '/' || host.find_first_of(" \t\"<>") != std::string::npos)
    return Status::Invalid("api-url has no host name (e.g. https://mdm.example.com/api-mdm.php)");
  if (url.size() < suffix.size() || url.compare(url.size() - suffix.size(), suffix.size(), suffix) != 0)
    return Status::Invalid("api-url must end with /api-mdm.php, the path nginx serves (e.g. https://" +
                           host.substr(0, host.find('/')) + "/api-mdm.php)");
  if (http) *warning = "api-url uses http: devices only enroll with a server they reach over https";
  store::SetSetting(tx, setting::kApiUrl, url);
  return Status::Ok();
}

Status SetApiUrl(pqxx::connection& conn, const std::string& url, std::string* warning) {
  pqxx::work tx(conn);
  Status s = SetApiUrl(tx, url, warning);
  if (s.ok()) tx.commit();
  return s;
}

// A CSR (PEM) for the key stored under `key_name`, made once and kept.
static Result<std::string> CsrForKey(pqxx::connection& conn, const char* key_name, const std::string& common_name) {
  pqxx::work tx(conn);
  crypto::Pkey key = KeyOnce(tx, key_name);
  tx.commit();
  crypto::CertRequest subject;
  subject.common_name = common_name;
  auto csr = crypto::MakeCsr(key.get(), subject);
  if (!csr.ok()) return csr.status();
  return crypto::CsrToPem(csr->get());
}

Result<std::string> VendorCsr(pqxx::connection& conn, const std::string& common_name) {
  return CsrForKey(conn, setting::kVendorKey, common_name);
}

Result<int64_t> StoreVendorCert(pqxx::connection& conn, const std::string& file_bytes) {
  auto cert = ReadCertFile(file_bytes, "mdm.cer that Apple's developer portal returned");
  if (!cert.ok()) return cert.status();
  pqxx::work tx(conn);
  auto key_pem = store::GetSetting(tx, setting::kVendorKey);
  if (!key_pem) return Status::Conflict("no vendor key yet: run mdm-console vendor csr, and upload that CSR to Apple first");
  auto key = crypto::KeyFromPem(*key_pem);
  if (!crypto::KeyMatchesCert(key->get(), cert->get()))
    return Status::Invalid("this certificate is not for the vendor key of this server (made by mdm-console vendor csr)");
  store::SetSetting(tx, setting::kVendorCert, crypto::CertToPem(cert->get()));
  tx.commit();
  return crypto::NotAfter(cert->get());
}

Result<std::string> ApnsCsrUnsigned(pqxx::connection& conn, const std::string& common_name) {
  return CsrForKey(conn, setting::kPushKey, common_name);
}

Result<std::string> ApnsCsrSigned(pqxx::connection& conn, const std::string& common_name) {
  pqxx::work tx(conn);
  auto vendor_pem = store::GetSetting(tx, setting::kVendorCert);
  auto vendor_key_pem = store::GetSetting(tx, setting::kVendorKey);
  if (!vendor_pem || !vendor_key_pem)
    return Status::Conflict(
        "no vendor certificate: run mdm-console vendor csr and vendor cert FILE first, or use apns csr --unsigned "
        "and have the request signed elsewhere");
  crypto::Pkey push_key = KeyOnce(tx, setting::kPushKey);
  tx.commit();
  crypto::CertRequest subject;
  subject.common_name = common_name;
  auto csr = crypto::MakeCsr(push_key.get(), subject);
  if (!csr.ok()) return csr.status();
  std::string der = crypto::CsrToDer(csr->get());
  auto vendor_key = crypto::KeyFromPem(*vendor_key_pem);
  auto signature = crypto::SignSha256(vendor_key->get(), der);
  if (!signature.ok()) return signature.status();
  std::string chain = *vendor_pem;
  if (chain.back() != '\n') chain += '\n';
  chain += std::string(kAppleWwdrCaG3Pem).substr(1) + std::string(kAppleRootCaPem).substr(1);
  plist::Owned request(plist_new_dict());
  plist::SetString(request.get(), "PushCertRequestCSR", crypto::Base64Encode(der));
  plist::SetString(request.get(), "PushCertCertificateChain", chain);
  plist::SetString(request.get(), "PushCertSignature", crypto::Base64Encode(*signature));
  return crypto::Base64Encode(plist::ToXml(request.get()));
}

Result<PushCertInfo> StorePushCert(pqxx::connection& conn, const std::string& file_bytes, bool allow_topic_change) {
  auto cert = ReadCertFile(file_bytes, "push certificate that Apple's push certificate portal returned (MDM_... .pem)");
  if (!cert.ok()) return cert.status();
  PushCertInfo info;
  info.topic = crypto::SubjectUid(cert->get());
  if (info.topic.rfind("com.apple.mgmt.", 0) != 0)
    return Status::Invalid("this is not an MDM push certificate: its subject UID is '" + info.topic +
                           "', not a com.apple.mgmt. topic");
  info.expires_at = crypto::NotAfter(cert->get());
  if (info.expires_at <= std::time(nullptr))
    return Status::Invalid("this push certificate expired on " + crypto::FormatTime(info.expires_at) +
                           ": renew it at Apple's push certificate portal with a new mdm-console apns csr, then "
                           "upload the renewed one");
  pqxx::work tx(conn);
  auto key_pem = store::GetSetting(tx, setting::kPushKey);
  if (!key_pem) return Status::Conflict("no push key yet: run mdm-console apns csr first and upload that request to Apple");
  auto key = crypto::KeyFromPem(*key_pem);
  if (!crypto::KeyMatchesCert(key->get(), cert->get()))
    return Status::Invalid("this push certificate is not for this server's push key (made by mdm-console apns csr)");
  auto old_topic = store::GetSetting(tx, setting::kPushTopic);
  if (old_topic && *old_topic != info.topic) {
    if (!allow_topic_change)
      return Status::Conflict("this certificate's topic " + info.topic + " differs from the current " + *old_topic +
                              ": every device would have to enroll again. Renew the existing certificate at Apple's "
                              "portal instead, or pass --allow-topic-change if that is what you want");
    info.topic_changed = true;
  }
  store::SetSetting(tx, setting::kPushCert, crypto::CertToPem(cert->get()));
  store::SetSetting(tx, setting::kPushTopic, info.topic);
  store::SetSetting(tx, setting::kPushExpires, std::to_string(info.expires_at));
  tx.commit();
  return info;
}

Result<std::string> TokenCert(pqxx::connection& conn) {
  pqxx::work tx(conn);
  crypto::Pkey key = KeyOnce(tx, setting::kTokenKey);
  auto cert = StoredCert(tx, setting::kTokenCert);
  if (!cert.ok() || !crypto::KeyMatchesCert(key.get(), cert->get())) {
    crypto::CertRequest req;
    req.common_name = "mdm server token";
    req.days = 3650;
    auto made = crypto::SelfSign(key.get(), req);
    if (!made.ok()) return made.status();
    store::SetSetting(tx, setting::kTokenCert, crypto::CertToPem(made->get()));
    cert = std::move(made);
  }
  tx.commit();
  return crypto::CertToPem(cert->get());
}

Result<AbmToken> StoreAbmToken(pqxx::connection& conn, const std::string& p7m) {
  pqxx::work tx(conn);
  auto key_pem = store::GetSetting(tx, setting::kTokenKey);
  auto cert = StoredCert(tx, setting::kTokenCert);
  if (!key_pem || !cert.ok())
    return Status::Conflict("no token certificate yet: run mdm-console token cert and upload it to ABM/ASM first");
  auto key = crypto::KeyFromPem(*key_pem);
  auto plain = crypto::DecryptSmime(p7m, cert->get(), key->get());
  if (!plain.ok()) return Status::Invalid("the server token file: " + plain.status().message());
  const std::string begin = "-----BEGIN MESSAGE-----", end = "-----END MESSAGE-----";
  size_t b = plain->find(begin), e = plain->find(end);
  if (b == std::string::npos || e == std::string::npos || e < b)
    return Status::Invalid("the decrypted server token has no BEGIN/END MESSAGE block: is it an ABM/ASM server token?");
  std::string json = plain->substr(b + begin.size(), e - b - begin.size());
  auto t = SaveAbmToken(tx, json);
  if (t.ok()) tx.commit();
  return t;
}

Result<AbmToken> SaveAbmToken(pqxx::transaction_base& tx, std::string json) {
  json.erase(0, json.find_first_not_of(" \r\n\t"));
  json.erase(json.find_last_not_of(" \r\n\t") + 1);
  rapidjson::Document doc;
  if (Status s = json::Parse(json, &doc); !s.ok())
    return Status::Invalid("the server token's message is refused, " + s.message() +
                           ": download a new one from ABM/ASM");
  if (!doc.IsObject()) return Status::Invalid("the server token's message is not a JSON object");
  for (const char* field : {"consumer_key", "consumer_secret", "access_token", "access_secret", "access_token_expiry"}) {
    auto m = doc.FindMember(field);
    if (m == doc.MemberEnd() || !m->value.IsString() || m->value.GetStringLength() == 0)
      return Status::Invalid(std::string("the server token lacks ") + field + ": download a new one from ABM/ASM");
  }
  AbmToken t;
  t.consumer_key.assign(doc["consumer_key"].GetString(), doc["consumer_key"].GetStringLength());
  t.access_token_expiry.assign(doc["access_token_expiry"].GetString(), doc["access_token_expiry"].GetStringLength());
  t.expires_at = ParseUtc(t.access_token_expiry);
  if (t.expires_at < 0)
    return Status::Invalid("the server token's access_token_expiry '" + t.access_token_expiry + "' is not a date");
  if (t.expires_at <= std::time(nullptr))
    return Status::Invalid("this server token expired on " + crypto::FormatTime(t.expires_at) +
                           ": download a new one from ABM/ASM (your MDM server's page, Download Token)");
  // The consumer key names the MDM server in ABM/ASM: a renewed token keeps it, another
  // server's (or organisation's) does not, and applesync's state for the old one must go.
  if (auto before = store::GetSetting(tx, setting::kAbmToken)) {
    rapidjson::Document old;
    std::string old_key;
    if (json::Parse(*before, &old).ok() && old.IsObject() && old.HasMember("consumer_key") &&
        old["consumer_key"].IsString())
      old_key.assign(old["consumer_key"].GetString(), old["consumer_key"].GetStringLength());
    if (old_key != t.consumer_key) {
      abm::ForgetServer(tx);
      t.server_changed = true;
    }
  }
  store::SetSetting(tx, setting::kAbmToken, json);
  store::SetSetting(tx, setting::kAbmTokenExpires, std::to_string(t.expires_at));
  return t;
}

Status SetActivationProfile(pqxx::transaction_base& tx, const std::string& json) {
  enum Kind { kString, kBool, kStrings };
  static const std::pair<const char*, Kind> kKeys[] = {
      {"profile_name", kString}, {"url", kString}, {"allow_pairing", kBool}, {"is_supervised", kBool},
      {"is_multi_user", kBool}, {"is_mandatory", kBool}, {"await_device_configured", kBool},
      {"is_mdm_removable", kBool}, {"support_phone_number", kString}, {"auto_advance_setup", kBool},
      {"support_email_address", kString}, {"org_magic", kString}, {"anchor_certs", kStrings},
      {"supervising_host_certs", kStrings}, {"skip_setup_items", kStrings}, {"department", kString},
      {"language", kString}, {"region", kString}, {"configuration_web_url", kString}, {"devices", kStrings}};
  rapidjson::Document doc;
  if (Status s = json::Parse(json, &doc); !s.ok())
    return Status::Invalid("the activation profile is refused, " + s.message() + ": fix the file and set it again");
  if (!doc.IsObject()) return Status::Invalid("the activation profile must be a JSON object");
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    std::string name(m->name.GetString(), m->name.GetStringLength());
    const Kind* kind = nullptr;
    for (const auto& [k, v] : kKeys)
      if (name == k) kind = &v;
    if (!kind) return Status::Invalid("the activation profile has an unknown key '" + name + "'");
    bool ok = *kind == kString ? m->value.IsString() : *kind == kBool ? m->value.IsBool() : m->value.IsArray();
    if (ok && *kind == kStrings)
      for (const auto& item : m->value.GetArray()) ok = ok && item.IsString();
    if (!ok)
      return Status::Invalid("activation profile key '" + name + "' must be " +
                             (*kind == kString ? "a string" : *kind == kBool ? "true or false" : "an array of strings"));
  }
  if (!doc.HasMember("profile_name")) return Status::Invalid("the activation profile needs profile_name");
  if (!doc.HasMember("url")) return Status::Invalid("the activation profile needs url (<api-url>/profile)");
  auto api = store::GetSetting(tx, setting::kApiUrl);
  if (!api) return Status::Conflict("set the public URL first: mdm-console settings set api-url https://HOST/api-mdm.php");
  std::string want = *api + "/profile";
  std::string url(doc["url"].GetString(), doc["url"].GetStringLength());
  if (want != url) return Status::Invalid("the activation profile's url must be " + want + ", not " + url);
  store::SetSetting(tx, setting::kActivationProfile, json);
  return Status::Ok();
}

Status SetActivationProfile(pqxx::connection& conn, const std::string& json) {
  pqxx::work tx(conn);
  Status s = SetActivationProfile(tx, json);
  if (s.ok()) tx.commit();
  return s;
}

std::vector<Expiry> Expiries(const std::function<std::optional<std::string>(const char* setting)>& get) {
  std::vector<Expiry> out;
  auto seconds = [&](const char* name, const char* label, const char* what) {
    auto text = get(name);
    if (!text) return;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec == std::errc() && end == text->data() + text->size()) out.push_back({label, what, v});
  };
  auto cert = [&](const char* name, const char* label, const char* what) {
    auto pem = get(name);
    if (!pem) return;
    auto c = crypto::CertFromPem(*pem);
    if (c.ok()) out.push_back({label, what, crypto::NotAfter(c->get())});
  };
  seconds(setting::kPushExpires, "apns_push", "push certificate");
  cert(setting::kVendorCert, "vendor", "vendor certificate");
  seconds(setting::kAbmTokenExpires, "abm_token", "ABM/ASM server token");
  cert(setting::kDeviceCaCert, "device_ca", "device CA");
  cert(setting::kSigningCert, "profile_signing", "profile signing certificate");
  return out;
}

StatusReport Report(pqxx::connection& conn, int64_t now) {
  StatusReport r;
  pqxx::read_transaction tx(conn);
  auto get = [&](const char* name) { return store::GetSetting(tx, name); };
  if (auto api = get(setting::kApiUrl)) r.lines.push_back("api-url " + *api);
  else r.warnings.push_back("api-url is not set: mdm-console settings set api-url https://HOST/api-mdm.php");
  const std::vector<Expiry> expiries = Expiries(get);
  auto has = [&](std::string_view name) {
    for (const auto& e : expiries)
      if (name == e.name) return true;
    return false;
  };
  if (auto topic = get(setting::kPushTopic); topic && has("apns_push")) r.lines.push_back("push topic " + *topic);
  else r.warnings.push_back("no push certificate: mdm-console apns csr, then apns cert FILE");
  for (const auto& e : expiries) AddExpiry(r, e.what, e.expires_at, now);
  if (!has("abm_token")) r.lines.push_back("no ABM/ASM server token (only needed for Automated Device Enrollment)");
  // Apps and Books content tokens: one per location, each with its expiry.
  for (const auto& row : tx.exec("SELECT location_name, extract(epoch FROM expires_at)::bigint, last_error "
                                 "FROM vpp_tokens ORDER BY id")) {
    AddExpiry(r, "Apps and Books token (" + row[0].as<std::string>() + ")", row[1].as<int64_t>(), now);
    if (!row[2].is_null())
      r.warnings.push_back("Apps and Books (" + row[0].as<std::string>() + "): " + row[2].as<std::string>());
  }
  auto counts = tx.exec(
      "SELECT (SELECT count(*) FROM devices), "
      "  (SELECT count(*) FROM enrollments WHERE status = 'enrolled'), "
      "  (SELECT count(*) FROM command_queue WHERE status IN ('Pending', 'NotNow') "
      "     AND created_at < now() - interval '1 day')")[0];
  r.lines.push_back("devices " + counts[0].as<std::string>() + ", enrollments active " + counts[1].as<std::string>());
  std::string stuck = counts[2].as<std::string>();
  r.lines.push_back("commands pending for more than a day " + stuck);
  if (stuck != "0") r.warnings.push_back(stuck + " command(s) pending for more than a day: are those devices reachable?");
  return r;
}

// --- importers ---------------------------------------------------------------------------------

namespace {

struct KeyPair {
  crypto::Cert cert;
  crypto::Pkey key;
};

Result<KeyPair> ReadKeyPair(const std::string& cert_pem, const std::string& key_pem, const std::string& what) {
  auto cert = crypto::CertFromPemOrDer(cert_pem);
  if (!cert.ok()) return Status::Invalid("the " + what + " is not a PEM certificate");
  auto key = crypto::KeyFromPem(key_pem);
  if (!key.ok()) return Status::Invalid("the key of the " + what + " is not a PEM private key");
  if (!crypto::KeyMatchesCert(key->get(), cert->get()))
    return Status::Invalid("the key stored with the " + what + " does not belong to that certificate");
  int64_t not_after = crypto::NotAfter(cert->get());
  if (not_after <= std::time(nullptr))
    return Status::Invalid("the " + what + " expired on " + crypto::FormatTime(not_after));
  return KeyPair{std::move(cert).value(), std::move(key).value()};
}

// Stores the pair unless another certificate is stored under `cert_name`: then kKept, or
// kReplaced when `replace`.
ImportedKeyPair SaveKeyPair(pqxx::transaction_base& tx, const KeyPair& kp, const char* cert_name, const char* key_name,
                            bool replace) {
  ImportedKeyPair out;
  out.expires_at = crypto::NotAfter(kp.cert.get());
  std::string pem = crypto::CertToPem(kp.cert.get());
  auto stored = store::GetSetting(tx, cert_name);
  if (stored) {
    auto old = crypto::CertFromPem(*stored);
    if (old.ok() && crypto::CertSha256(old->get()) == crypto::CertSha256(kp.cert.get())) {
      out.change = KeyPairChange::kUnchanged;
      return out;
    }
    if (!replace) {
      out.change = KeyPairChange::kKept;
      return out;
    }
    out.change = KeyPairChange::kReplaced;
  }
  store::SetSetting(tx, key_name, crypto::KeyToPem(kp.key.get()));
  store::SetSetting(tx, cert_name, pem);
  return out;
}

}  // namespace

Result<ImportedKeyPair> ImportPushKeyPair(pqxx::transaction_base& tx, const std::string& cert_pem,
                                          const std::string& key_pem, bool replace) {
  auto kp = ReadKeyPair(cert_pem, key_pem, "push certificate");
  if (!kp.ok()) return kp.status();
  std::string topic = crypto::SubjectUid(kp->cert.get());
  if (topic.rfind("com.apple.mgmt.", 0) != 0)
    return Status::Invalid("the push certificate's subject UID is '" + topic + "', not an MDM topic (com.apple.mgmt.)");
  auto old_topic = store::GetSetting(tx, setting::kPushTopic);
  if (old_topic && *old_topic != topic && !replace)
    return Status::Conflict("this server already has a push certificate for topic " + *old_topic +
                            ", and the imported devices were enrolled with " + topic +
                            ": pass --replace-push-cert to use the imported one (devices enrolled here with the "
                            "old topic would have to enroll again)");
  // The same topic with another certificate (a renewal): the imported one is what the devices
  // were last pushed with, so it replaces ours.
  ImportedKeyPair out = SaveKeyPair(tx, *kp, setting::kPushCert, setting::kPushKey, true);
  out.topic = topic;
  if (out.change != KeyPairChange::kUnchanged) {
    store::SetSetting(tx, setting::kPushTopic, topic);
    store::SetSetting(tx, setting::kPushExpires, std::to_string(out.expires_at));
  }
  return out;
}

Result<ImportedKeyPair> ImportVendorKeyPair(pqxx::transaction_base& tx, const std::string& cert_pem,
                                            const std::string& key_pem) {
  auto kp = ReadKeyPair(cert_pem, key_pem, "MDM vendor certificate");
  if (!kp.ok()) return kp.status();
  return SaveKeyPair(tx, *kp, setting::kVendorCert, setting::kVendorKey, false);
}

Result<ImportedKeyPair> ImportTokenKeyPair(pqxx::transaction_base& tx, const std::string& cert_pem,
                                           const std::string& key_pem) {
  auto kp = ReadKeyPair(cert_pem, key_pem, "server token certificate");
  if (!kp.ok()) return kp.status();
  return SaveKeyPair(tx, *kp, setting::kTokenCert, setting::kTokenKey, false);
}

}  // namespace mdm::certs
