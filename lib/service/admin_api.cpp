#include "service/admin_api.h"

#include <cctype>
#include <map>
#include <optional>
#include <string_view>
#include <variant>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "accounts/audit.h"
#include "accounts/sessions.h"
#include "certs/certs.h"
#include "crypto/crypto.h"
#include "json/json.h"
#include "store/sql_util.h"
#include "deploy/catalog.h"
#include "deploy/profile_file.h"
#include "vpp/tokens.h"
#include "push/pusher.h"
#include "service/admin_request.h"
#include "service/commands.h"
#include "store/device_reads.h"
#include "store/enrollment_store.h"

namespace mdm::service {
namespace {

http::Response JsonResponse(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

http::Response JsonError(int status, const std::string& message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("error");
  w.String(message.c_str(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  auto r = JsonResponse(status, std::string(buf.GetString(), buf.GetSize()));
  r.reason = message;
  return r;
}

// The credentials of "Bearer KEY": the scheme is case-insensitive and may be followed by more
// than one space or tab; nullopt when the header uses another scheme (or none).
std::optional<std::string_view> BearerCredentials(std::string_view auth) {
  constexpr std::string_view kScheme = "bearer";
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  if (auth.size() <= kScheme.size() || !blank(auth[kScheme.size()])) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(auth[i])) != kScheme[i]) return std::nullopt;
  auth.remove_prefix(kScheme.size());
  while (!auth.empty() && blank(auth.front())) auth.remove_prefix(1);
  while (!auth.empty() && blank(auth.back())) auth.remove_suffix(1);
  return auth;
}

}  // namespace

bool BearerOrApiKeyMatches(const http::Request& req, const std::string& key) {
  if (key.empty()) return false;
  std::string_view presented;
  const std::string* auth = req.header("authorization");
  if (auto bearer = auth ? BearerCredentials(*auth) : std::nullopt)
    presented = *bearer;
  else if (const std::string* k = req.header("x-api-key"))
    presented = *k;
  return !presented.empty() && crypto::ConstantTimeEquals(presented, key);
}

std::string CookieValue(const http::Request& req, std::string_view name) {
  const std::string* cookies = req.header("cookie");
  if (!cookies) return "";
  std::string_view rest = *cookies;
  while (!rest.empty()) {
    size_t semi = std::min(rest.find(';'), rest.size());
    std::string_view pair = rest.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    rest.remove_prefix(std::min(semi + 1, rest.size()));
  }
  return "";
}

namespace {

std::string SessionJson(const accounts::Session& s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("user");
  w.String(s.user.c_str());
  w.Key("role");
  w.String(accounts::RoleName(s.role));
  w.Key("csrf_token");
  w.String(s.csrf_token.c_str());
  w.Key("expires_at");
  w.Int64(s.expires_at);
  w.Key("idle_timeout_seconds");
  w.Int(accounts::kIdleSeconds);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string SessionCookie(const std::string& value, int max_age) {
  // Sent back only to the admin API, never readable by scripts, never cross-site.
  return std::string(kSessionCookie) + "=" + value + "; Path=/api-mdm.php/v1; Max-Age=" + std::to_string(max_age) +
         "; HttpOnly; Secure; SameSite=Strict";
}

bool ChangesSomething(const std::string& method) { return method != "GET" && method != "HEAD"; }

}  // namespace

std::optional<AdminCaller> AdminApi::Identify(const http::Request& req, pqxx::connection& conn) const {
  if (BearerOrApiKeyMatches(req, key_)) return AdminCaller{"api-key", accounts::Role::kAdmin, false, ""};
  std::string token = CookieValue(req, kSessionCookie);
  if (token.empty()) return std::nullopt;
  auto s = accounts::Resume(conn, token);
  if (!s) return std::nullopt;
  return AdminCaller{s->user, s->role, true, s->csrf_token};
}

// POST: log in ({"name", "password"}); GET: the session; DELETE: log out.
http::Response AdminApi::Session(const http::Request& req, pqxx::connection& conn) {
  std::string token = CookieValue(req, kSessionCookie);
  if (req.method == "POST") {
    rapidjson::Document doc;
    if (!json::Parse(req.body, &doc).ok() || !doc.IsObject() || !doc.HasMember("name") || !doc["name"].IsString() ||
        !doc.HasMember("password") || !doc["password"].IsString())
      return JsonError(400, "log in with a JSON object {\"name\": ..., \"password\": ...}");
    std::string name(doc["name"].GetString(), doc["name"].GetStringLength());
    std::string password(doc["password"].GetString(), doc["password"].GetStringLength());
    auto out = accounts::Login(conn, name, password, req.remote_addr);
    if (out.kind == accounts::LoginOutcome::Kind::kLimited) {
      auto r = JsonError(429, "too many failed logins for this account or address: wait " +
                                  std::to_string((out.retry_after + 59) / 60) + " minute(s) and try again");
      r.headers.emplace_back("Retry-After", std::to_string(out.retry_after));
      return r;
    }
    if (out.kind == accounts::LoginOutcome::Kind::kWrong) return JsonError(401, "wrong user name or password");
    pqxx::work tx(conn);
    accounts::Audit(tx, name, "login", {}, "{\"address\": " + json::Quote(req.remote_addr) + "}");
    tx.commit();
    auto r = JsonResponse(200, SessionJson(out.session));
    r.headers.emplace_back("Set-Cookie", SessionCookie(out.session.token, accounts::kAbsoluteSeconds));
    r.headers.emplace_back("Cache-Control", "no-store");
    r.reason = "console login " + name;
    return r;
  }
  auto s = accounts::Resume(conn, token);
  if (!s) return JsonError(401, "no console session: log in");
  if (req.method == "GET") return JsonResponse(200, SessionJson(*s));
  // DELETE: the CSRF token too, so another site cannot log the user out.
  const std::string* csrf = req.header("x-csrf-token");
  if (!csrf || !crypto::ConstantTimeEquals(*csrf, s->csrf_token))
    return JsonError(403, "missing or wrong CSRF token (X-CSRF-Token): reload the console");
  accounts::Logout(conn, token);
  pqxx::work tx(conn);
  accounts::Audit(tx, s->user, "logout", {}, "");
  tx.commit();
  auto r = JsonResponse(200, "{\"logged_out\": true}");
  r.headers.emplace_back("Set-Cookie", SessionCookie("", 0));
  return r;
}

http::Response AdminApi::Dashboard(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  auto rows = tx.exec_params("SELECT name, value FROM settings WHERE name = ANY($1::text[])",
                             store::TextArray(std::vector<std::string>(std::begin(certs::kExpirySettings),
                                                                       std::end(certs::kExpirySettings))));
  std::map<std::string, std::string> values;
  for (const auto& r : rows) values[r[0].as<std::string>()] = r[1].as<std::string>();
  auto expiries = certs::Expiries([&](const char* name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  });
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const auto& e : expiries) {
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
  return JsonResponse(200, store::DashboardJson(tx, std::string(buf.GetString(), buf.GetSize())));
}

namespace {

http::Response StatusError(const Status& s) {
  int code = s.code() == Status::Code::kNotFound ? 404 : s.code() == Status::Code::kConflict ? 409 : 400;
  return JsonError(code, s.message());
}

std::string JsonStrings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + json::Quote(items[i]);
  return out + "]";
}

// The strings of a JSON array member, or nullopt when it is not one.
std::optional<std::vector<std::string>> Strings(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject() || !obj.HasMember(key) || !obj[key].IsArray()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& v : obj[key].GetArray()) {
    if (!v.IsString()) return std::nullopt;
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

}  // namespace

http::Response AdminApi::ChangeCatalog(const http::Request& req, const AdminRoute& route, pqxx::connection& conn,
                                       const AdminCaller& caller) {
  using Kind = AdminRoute::Kind;
  if (caller.role < accounts::Role::kAdmin)
    return JsonError(403, std::string("the role ") + accounts::RoleName(caller.role) + " cannot change the catalog");
  if (route.kind == Kind::kAddProfile) {
    auto file = deploy::ReadProfile(req.body);
    if (!file.ok()) return JsonError(400, file.status().message());
    pqxx::work tx(conn);
    auto saved = deploy::AddProfile(tx, *file);
    if (!saved.ok()) return StatusError(saved.status());
    const char* change = saved->change == deploy::Change::kAdded ? "added"
                         : saved->change == deploy::Change::kEdited ? "edited" : "unchanged";
    if (saved->change != deploy::Change::kUnchanged)
      accounts::Audit(tx, caller.actor, std::string("profile ") + change, {},
                      "{\"identifier\": " + json::Quote(file->identifier) + "}");
    tx.commit();
    return JsonResponse(200, "{\"identifier\": " + json::Quote(file->identifier) + ", \"change\": \"" + change +
                                 "\", \"version\": " + std::to_string(saved->version) + "}");
  }
  rapidjson::Document doc;
  if (Status s = json::Parse(req.body, &doc); !s.ok() || !doc.IsObject())
    return JsonError(400, "the body must be a JSON object");
  pqxx::work tx(conn);
  std::string answer;
  if (route.kind == Kind::kCreateGroup) {
    if (!doc.HasMember("name") || !doc["name"].IsString()) return JsonError(400, "name the group: {\"name\": ...}");
    std::string name(doc["name"].GetString(), doc["name"].GetStringLength());
    std::string parent = doc.HasMember("parent") && doc["parent"].IsString()
                             ? std::string(doc["parent"].GetString(), doc["parent"].GetStringLength()) : "";
    if (Status s = deploy::CreateGroup(tx, name, parent); !s.ok()) return StatusError(s);
    accounts::Audit(tx, caller.actor, "create group", {}, "{\"group\": " + json::Quote(name) + "}");
    answer = "{\"created\": " + json::Quote(name) + "}";
  } else if (route.kind == Kind::kAddGroupDevices) {
    auto given = Strings(doc, "device_ids");
    if (!given || given->empty()) return JsonError(400, "device_ids must be an array of device IDs or serial numbers");
    // A serial number stands for the device that has it.
    auto ids = tx.exec_params("SELECT coalesce((SELECT id FROM devices WHERE id = g), "
                              "  (SELECT id FROM devices WHERE serial_number = g LIMIT 1), g) "
                              "FROM unnest($1::text[]) WITH ORDINALITY AS x(g, n) ORDER BY n",
                              store::TextArray(*given));
    std::vector<std::string> devices;
    for (const auto& r : ids) devices.push_back(r[0].as<std::string>());
    auto added = deploy::AddGroupDevices(tx, route.id, devices);
    if (!added.ok()) return StatusError(added.status());
    accounts::Audit(tx, caller.actor, "add to group", devices, "{\"group\": " + json::Quote(route.id) + "}");
    answer = "{\"added\": " + std::to_string(*added) + "}";
  } else {
    auto groups = Strings(doc, "groups");
    if (!groups || groups->empty()) return JsonError(400, "groups must be an array of group names");
    auto n = deploy::Assign(tx, deploy::Kind::kProfile, route.id, *groups);
    if (!n.ok()) return StatusError(n.status());
    accounts::Audit(tx, caller.actor, "assign profile", {},
                    "{\"identifier\": " + json::Quote(route.id) + ", \"groups\": " + JsonStrings(*groups) + "}");
    answer = "{\"assigned\": " + std::to_string(*n) + "}";
  }
  tx.commit();
  return JsonResponse(200, answer);
}

http::Response AdminApi::Handle(const http::Request& req, const std::string& path, pqxx::connection& conn) {
  auto read = ReadAdminRoute(req.method, path, req.query);
  if (const auto* refused = std::get_if<AdminRefusal>(&read)) {
    // An unknown route answers 401 before 404 to a caller without credentials.
    if (refused->status == 404 && !Identify(req, conn))
      return JsonError(401, "the admin API needs the admin_api_key (Authorization: Bearer KEY) or a console session");
    return JsonError(refused->status, refused->message);
  }
  const AdminRoute& route = std::get<AdminRoute>(read);
  using Kind = AdminRoute::Kind;
  if (route.kind == Kind::kSession) return Session(req, conn);
  auto caller = Identify(req, conn);
  if (!caller) {
    auto r = JsonError(401, "the admin API needs the admin_api_key (Authorization: Bearer KEY) or a console session");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (caller->browser && ChangesSomething(req.method)) {
    // Identify checked the session; the CSRF token is what tells a page of ours from another site.
    const std::string* csrf = req.header("x-csrf-token");
    if (!csrf || !crypto::ConstantTimeEquals(*csrf, caller->csrf_token))
      return JsonError(403, "missing or wrong CSRF token (X-CSRF-Token): reload the console");
  }
  if (route.kind == Kind::kPostCommand) {
    if (caller->role < accounts::Role::kHelpdesk)
      return JsonError(403, std::string("the role ") + accounts::RoleName(caller->role) + " cannot send commands");
    return PostCommand(req, conn, *caller);
  }
  if (route.kind == Kind::kRemoveDevice) {
    if (caller->role < accounts::Role::kHelpdesk)
      return JsonError(403, std::string("the role ") + accounts::RoleName(caller->role) + " cannot remove devices");
    pqxx::work tx(conn);
    if (!store::RemoveDevice(tx, route.id)) return JsonError(404, "no device " + route.id);
    accounts::Audit(tx, caller->actor, "remove device", {route.id}, "");
    tx.commit();
    auto r = JsonResponse(200, "{\"removed\": " + json::Quote(route.id) + "}");
    r.reason = "removed device " + route.id;
    return r;
  }
  if (route.kind == Kind::kCreateGroup || route.kind == Kind::kAddGroupDevices || route.kind == Kind::kAddProfile ||
      route.kind == Kind::kAssignProfile)
    return ChangeCatalog(req, route, conn, *caller);
  if (route.kind == Kind::kAudit && caller->role < accounts::Role::kAdmin)
    return JsonError(403, "only an admin reads the audit log");
  if (route.kind == Kind::kDashboard) return Dashboard(conn);
  pqxx::read_transaction tx(conn);
  switch (route.kind) {
    case Kind::kPostCommand:
    case Kind::kSession:
    case Kind::kDashboard:
    case Kind::kRemoveDevice:
    case Kind::kCreateGroup:
    case Kind::kAddGroupDevices:
    case Kind::kAddProfile:
    case Kind::kAssignProfile:
      break;  // above
    case Kind::kGroup: {
      auto doc = deploy::GroupJson(tx, route.id);
      if (!doc) return JsonError(404, "no group " + route.id);
      return JsonResponse(200, *doc);
    }
    case Kind::kProfile: {
      auto doc = deploy::ProfileJson(tx, route.id);
      if (!doc) return JsonError(404, "no profile " + route.id);
      return JsonResponse(200, *doc);
    }
    case Kind::kCommand: {
      auto doc = store::CommandJson(tx, route.id);
      if (!doc) return JsonError(404, "no command " + route.id);
      return JsonResponse(200, *doc);
    }
    case Kind::kGroups: return JsonResponse(200, deploy::GroupListJson(tx));
    case Kind::kProfiles: return JsonResponse(200, deploy::ProfileListJson(tx));
    case Kind::kApps: return JsonResponse(200, deploy::AppListJson(tx));
    case Kind::kDeclarations: return JsonResponse(200, deploy::DeclarationListJson(tx));
    case Kind::kDevices: return JsonResponse(200, store::DeviceListJson(tx));
    case Kind::kDevicePage: return JsonResponse(200, store::DevicePageJson(tx, route.page));
    case Kind::kAudit: return JsonResponse(200, accounts::AuditJson(tx, route.limit, route.offset, route.device));
    case Kind::kVppAssets: return JsonResponse(200, vpp::AssetListJson(tx));
    case Kind::kCommandHistory: {
      // That enrollment's commands, newest first, one page.
      auto doc = store::CommandHistoryJson(tx, route.history);
      if (!doc) return JsonError(404, "no enrollment " + route.history.enrollment_id);
      return JsonResponse(200, *doc);
    }
    case Kind::kDevice: {
      auto doc = store::DeviceJson(tx, route.id);
      if (!doc) return JsonError(404, "no device " + route.id);
      return JsonResponse(200, *doc);
    }
  }
  return JsonError(404, "unknown admin route /v1" + path);
}

// The command as ReadAdminCommand reads it, queued for its targets and pushed unless ?nopush.
http::Response AdminApi::PostCommand(const http::Request& req, pqxx::connection& conn, const AdminCaller& caller) {
  auto read = ReadAdminCommand(req);
  if (const auto* refused = std::get_if<AdminRefusal>(&read)) return JsonError(refused->status, refused->message);
  AdminCommand& asked = std::get<AdminCommand>(read);
  const std::vector<std::string>& targets = asked.targets;
  const bool push = asked.push;
  auto queued = EnqueueCommand(conn, asked.command.get(), targets, asked.options);
  if (!queued.ok()) {
    int status = queued.status().code() == Status::Code::kNotFound ? 404
                 : queued.status().code() == Status::Code::kConflict ? 409 : 400;
    return JsonError(status, queued.status().message());
  }
  {
    // Who sent what to which devices: the audit log's row per target.
    std::vector<std::string> devices;
    for (const auto& t : targets) devices.push_back(t.substr(0, t.find(':')));
    pqxx::work tx(conn);
    accounts::Audit(tx, caller.actor, "command " + queued->request_type, devices,
                    "{\"command_uuid\": " + json::Quote(queued->command_uuid) + "}");
    tx.commit();
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("command_uuid");
  w.String(queued->command_uuid.c_str());
  w.Key("request_type");
  w.String(queued->request_type.c_str());
  w.Key("enrollments");
  w.Uint64(queued->enrollments);
  if (push) {
    // Queued either way: a push that cannot go out now only delays the devices' next check-in.
    auto pushed = push::PushEnrollments(conn, targets);
    w.Key("pushed");
    w.Uint64(pushed.ok() ? pushed->sent : 0);
    if (!pushed.ok() || !pushed->message.empty()) {
      w.Key("push_error");
      w.String(pushed.ok() ? pushed->message.c_str() : pushed.status().message().c_str());
    }
  }
  w.EndObject();
  auto r = JsonResponse(200, std::string(buf.GetString(), buf.GetSize()));
  r.reason = "queued " + queued->request_type + " " + queued->command_uuid + " for " +
             std::to_string(queued->enrollments);
  return r;
}

}  // namespace mdm::service
