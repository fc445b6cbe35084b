// The admin API's enrollment, settings, certificates and users: what `mdm-console device
// enroll-link`, `settings`, `vendor`, `apns`, `token`, `activation-profile` and `user` do, for the
// web console. The key material itself never leaves the server: only CSRs, public certificates
// and what expires when.
#include <ctime>
#include <map>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "accounts/audit.h"
#include "accounts/users.h"
#include "certs/certs.h"
#include "core/utf8.h"
#include "enroll/profile.h"
#include "json/json.h"
#include "service/admin_api.h"
#include "service/admin_json.h"
#include "service/admin_request.h"
#include "store/settings.h"
#include "store/sql_util.h"

namespace mdm::service {
namespace {

using admin::JsonError;
using admin::JsonResponse;
using admin::StatusError;
using Kind = AdminRoute::Kind;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::map<std::string, std::string> ReadSettings(pqxx::transaction_base& tx, std::vector<std::string> names) {
  auto rows = tx.exec_params("SELECT name, value FROM settings WHERE name = ANY($1::text[])", store::TextArray(names));
  std::map<std::string, std::string> values;
  for (const auto& r : rows) values[r[0].as<std::string>()] = r[1].as<std::string>();
  return values;
}

std::vector<certs::Expiry> ExpiriesOf(const std::map<std::string, std::string>& values) {
  return certs::Expiries([&](const char* name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  });
}

void WriteExpiries(Writer& w, const std::map<std::string, std::string>& values) {
  w.StartArray();
  for (const auto& e : ExpiriesOf(values)) {
    w.StartObject();
    w.Key("name");
    w.String(e.name);
    w.Key("what");
    w.String(e.what);
    w.Key("expires_at");
    w.Int64(e.expires_at);
    w.EndObject();
  }
  w.EndArray();
}

// "expires_at": its expiry, or null when it is not known.
void WriteExpiryOf(Writer& w, const std::map<std::string, std::string>& values, std::string_view name) {
  w.Key("expires_at");
  for (const auto& e : ExpiriesOf(values))
    if (name == e.name && e.expires_at > 0) return static_cast<void>(w.Int64(e.expires_at));
  w.Null();
}

// {"api_url", "push": {topic, expires_at}, "vendor": {expires_at}, "abm_token": {consumer_key,
// expires_at}, "activation_profile", "expiries"}: never a key nor a token's secrets.
std::string SettingsJson(pqxx::transaction_base& tx) {
  namespace setting = store::setting;
  std::vector<std::string> names(std::begin(certs::kExpirySettings), std::end(certs::kExpirySettings));
  for (const char* n : {setting::kApiUrl, setting::kPushTopic, setting::kAbmToken, setting::kActivationProfile})
    names.emplace_back(n);
  auto values = ReadSettings(tx, names);
  auto get = [&](const char* n) -> const std::string* {
    auto it = values.find(n);
    return it == values.end() ? nullptr : &it->second;
  };
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("api_url");
  if (const auto* v = get(setting::kApiUrl)) w.String(v->c_str()); else w.Null();
  w.Key("push");
  if (const auto* topic = get(setting::kPushTopic)) {
    w.StartObject();
    w.Key("topic");
    w.String(topic->c_str());
    WriteExpiryOf(w, values, "apns_push");
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("vendor");
  if (get(setting::kVendorCert)) {
    w.StartObject();
    WriteExpiryOf(w, values, "vendor");
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("abm_token");
  rapidjson::Document token;
  const auto* stored_token = get(setting::kAbmToken);
  if (stored_token && json::Parse(*stored_token, &token).ok() && token.IsObject()) {
    w.StartObject();
    w.Key("consumer_key");
    auto key = admin::StringMember(token, "consumer_key");
    w.String(key ? key->c_str() : "");
    WriteExpiryOf(w, values, "abm_token");
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("activation_profile");
  rapidjson::Document profile;
  const auto* stored_profile = get(setting::kActivationProfile);
  if (stored_profile && json::Parse(*stored_profile, &profile).ok()) profile.Accept(w); else w.Null();
  w.Key("expiries");
  WriteExpiries(w, values);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// The body of the enrollment routes: {"name", "serial_number", "identity", "expires_in"}.
Result<enroll::ProfileRequest> ReadEnrollRequest(const std::string& body) {
  rapidjson::Document doc;
  if (Status s = json::Parse(body, &doc); !s.ok() || !doc.IsObject())
    return Status::Invalid("the body must be a JSON object {\"name\", \"serial_number\", \"identity\", \"expires_in\"}");
  enroll::ProfileRequest req;
  auto name = admin::StringMember(doc, "name");
  auto serial = admin::StringMember(doc, "serial_number");
  auto identity = admin::StringMember(doc, "identity", "scep");
  if (!name || name->size() > 200 || !IsPrintableUtf8(*name)) return Status::Invalid("name must be text of at most 200 bytes");
  if (!serial || serial->size() > 64 || !IsPrintableUtf8(*serial))
    return Status::Invalid("serial_number must be a serial number");
  if (!identity || (*identity != "scep" && *identity != "pkcs12")) return Status::Invalid("identity must be scep or pkcs12");
  req.label = name->empty() ? *serial : *name;
  req.serial_number = *serial;
  req.identity = *identity;
  req.challenge_ttl_seconds = 7 * 86400;
  if (doc.HasMember("expires_in")) {
    const auto& v = doc["expires_in"];
    if (!v.IsInt64() || v.GetInt64() < 60 || v.GetInt64() > 30 * 86400)
      return Status::Invalid("expires_in must be seconds, from 60 to 2592000 (30 days)");
    req.challenge_ttl_seconds = v.GetInt64();
  }
  return req;
}

std::string EnrollDetail(const enroll::ProfileRequest& req) {
  return "{\"name\": " + json::Quote(req.label) + ", \"serial_number\": " + json::Quote(req.serial_number) +
         ", \"identity\": " + json::Quote(req.identity) + "}";
}

http::Response Enroll(const http::Request& req, const AdminRoute& route, pqxx::connection& conn,
                      const AdminCaller& caller) {
  auto asked = ReadEnrollRequest(req.body);
  if (!asked.ok()) return StatusError(asked.status());
  pqxx::work tx(conn);
  if (route.kind == Kind::kEnrollLink) {
    auto url = enroll::CreateEnrollLink(tx, *asked);
    if (!url.ok()) return JsonError(400, url.status().message());
    accounts::Audit(tx, caller.actor, "enrollment link", {}, EnrollDetail(*asked));
    tx.commit();
    auto r = JsonResponse(200, "{\"url\": " + json::Quote(*url) + ", \"expires_at\": " +
                                   std::to_string(std::time(nullptr) + asked->challenge_ttl_seconds) +
                                   ", \"identity\": " + json::Quote(asked->identity) + "}");
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  auto profile = enroll::BuildEnrollmentProfile(tx, *asked);
  if (!profile.ok()) return JsonError(400, profile.status().message());
  accounts::Audit(tx, caller.actor, "enrollment profile", {}, EnrollDetail(*asked));
  tx.commit();
  return admin::Download(std::move(*profile), "application/x-apple-aspen-config", "enroll.mobileconfig");
}

// The optional {"common_name"} of the CSR routes.
std::optional<std::string> CommonName(const std::string& body, const char* fallback) {
  if (body.empty()) return fallback;
  rapidjson::Document doc;
  if (!json::Parse(body, &doc).ok() || !doc.IsObject()) return std::nullopt;
  auto cn = admin::StringMember(doc, "common_name", fallback);
  if (!cn || cn->size() > 64 || !IsPrintableUtf8(*cn)) return std::nullopt;
  return cn->empty() ? fallback : *cn;
}

http::Response Certificates(const http::Request& req, const AdminRoute& route, pqxx::connection& conn,
                            const AdminCaller& caller) {
  switch (route.kind) {
    case Kind::kVendorCsr:
    case Kind::kApnsCsr: {
      const bool vendor = route.kind == Kind::kVendorCsr;
      auto cn = CommonName(req.body, vendor ? "MDM Vendor" : "MDM Push");
      if (!cn) return JsonError(400, "the body must be empty or {\"common_name\": text of at most 64 bytes}");
      auto out = vendor ? certs::VendorCsr(conn, *cn) : certs::ApnsCsrSigned(conn, *cn);
      if (!out.ok()) return StatusError(out.status());
      admin::AuditNow(conn, caller.actor, vendor ? "vendor csr" : "push csr", "");
      return admin::Download(std::move(*out), "text/plain", vendor ? "vendor.csr" : "mdm-push-request.txt");
    }
    case Kind::kVendorCert: {
      auto expires = certs::StoreVendorCert(conn, req.body);
      if (!expires.ok()) return StatusError(expires.status());
      admin::AuditNow(conn, caller.actor, "vendor certificate", "{\"expires_at\": " + std::to_string(*expires) + "}");
      return JsonResponse(200, "{\"expires_at\": " + std::to_string(*expires) + "}");
    }
    case Kind::kApnsCert: {
      auto info = certs::StorePushCert(conn, req.body, route.force);
      if (!info.ok()) return StatusError(info.status());
      std::string detail = "{\"topic\": " + json::Quote(info->topic) + ", \"expires_at\": " +
                           std::to_string(info->expires_at) + ", \"topic_changed\": " +
                           (info->topic_changed ? "true" : "false") + "}";
      admin::AuditNow(conn, caller.actor, "push certificate", detail);
      return JsonResponse(200, detail);
    }
    case Kind::kAbmTokenCert: {
      auto pem = certs::TokenCert(conn);
      if (!pem.ok()) return StatusError(pem.status());
      return admin::Download(std::move(*pem), "application/x-pem-file", "abm-token-certificate.pem");
    }
    case Kind::kAbmToken: {
      auto token = certs::StoreAbmToken(conn, req.body);
      if (!token.ok()) return StatusError(token.status());
      std::string detail = "{\"consumer_key\": " + json::Quote(token->consumer_key) + ", \"expires_at\": " +
                           std::to_string(token->expires_at) + ", \"server_changed\": " +
                           (token->server_changed ? "true" : "false") + "}";
      admin::AuditNow(conn, caller.actor, "abm token", detail);
      return JsonResponse(200, detail);
    }
    default: return JsonError(404, "unknown certificate route");
  }
}

http::Response Users(const http::Request& req, const AdminRoute& route, pqxx::connection& conn,
                     const AdminCaller& caller) {
  if (route.kind == Kind::kRemoveUser) {
    if (caller.browser && route.id == caller.actor)
      return JsonError(409, "you cannot remove your own account: another admin can");
    if (Status s = accounts::RemoveUser(conn, route.id); !s.ok()) return StatusError(s);
    admin::AuditNow(conn, caller.actor, "remove user", "{\"user\": " + json::Quote(route.id) + "}");
    return JsonResponse(200, "{\"removed\": " + json::Quote(route.id) + "}");
  }
  rapidjson::Document doc;
  if (Status s = json::Parse(req.body, &doc); !s.ok() || !doc.IsObject())
    return JsonError(400, "the body must be a JSON object");
  auto password = admin::StringMember(doc, "password");
  if (!password || password->empty()) return JsonError(400, "password must be given as text");
  if (route.kind == Kind::kSetUserPassword) {
    if (Status s = accounts::SetPassword(conn, route.id, *password); !s.ok()) return StatusError(s);
    admin::AuditNow(conn, caller.actor, "user password", "{\"user\": " + json::Quote(route.id) + "}");
    return JsonResponse(200, "{\"changed\": " + json::Quote(route.id) + "}");
  }
  auto name = admin::StringMember(doc, "name");
  auto role_name = admin::StringMember(doc, "role");
  if (!name || !role_name) return JsonError(400, "name and role must be text");
  auto role = accounts::ParseRole(*role_name);
  if (!role) return JsonError(400, "role must be admin, helpdesk or viewer");
  if (Status s = accounts::AddUser(conn, *name, *role, *password); !s.ok()) return StatusError(s);
  admin::AuditNow(conn, caller.actor, "add user", "{\"user\": " + json::Quote(*name) + ", \"role\": " + json::Quote(*role_name) + "}");
  return JsonResponse(200, "{\"created\": " + json::Quote(*name) + "}");
}

}  // namespace

std::string AdminApi::ExpiriesJson(pqxx::transaction_base& tx) {
  auto values = ReadSettings(tx, std::vector<std::string>(std::begin(certs::kExpirySettings),
                                                           std::end(certs::kExpirySettings)));
  rapidjson::StringBuffer buf;
  Writer w(buf);
  WriteExpiries(w, values);
  return std::string(buf.GetString(), buf.GetSize());
}

http::Response AdminApi::Configure(const http::Request& req, const AdminRoute& route, pqxx::connection& conn,
                                   const AdminCaller& caller) {
  switch (route.kind) {
    case Kind::kEnrollLink:
    case Kind::kEnrollProfile: return Enroll(req, route, conn, caller);
    case Kind::kSettings: {
      pqxx::read_transaction tx(conn);
      return JsonResponse(200, SettingsJson(tx));
    }
    case Kind::kSetApiUrl: {
      rapidjson::Document doc;
      std::optional<std::string> url;
      if (json::Parse(req.body, &doc).ok()) url = admin::StringMember(doc, "url");
      if (!url || url->empty()) return JsonError(400, "send {\"url\": \"https://HOST/api-mdm.php\"}");
      pqxx::work tx(conn);
      std::string warning;
      if (Status s = certs::SetApiUrl(tx, *url, &warning); !s.ok()) return StatusError(s);
      accounts::Audit(tx, caller.actor, "set api-url", {}, "{\"url\": " + json::Quote(*url) + "}");
      tx.commit();
      return JsonResponse(200, "{\"api_url\": " + json::Quote(*url) +
                                   (warning.empty() ? "" : ", \"warning\": " + json::Quote(warning)) + "}");
    }
    case Kind::kSetActivationProfile: {
      pqxx::work tx(conn);
      if (Status s = certs::SetActivationProfile(tx, req.body); !s.ok()) return StatusError(s);
      accounts::Audit(tx, caller.actor, "set activation profile", {}, "");
      tx.commit();
      return JsonResponse(200, "{\"saved\": true}");
    }
    case Kind::kUsers: {
      pqxx::read_transaction tx(conn);
      return JsonResponse(200, accounts::UserListJson(tx));
    }
    case Kind::kAddUser:
    case Kind::kRemoveUser:
    case Kind::kSetUserPassword: return Users(req, route, conn, caller);
    default: return Certificates(req, route, conn, caller);
  }
}

}  // namespace mdm::service
