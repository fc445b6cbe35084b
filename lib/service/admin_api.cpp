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
#include "service/admin_json.h"
#include "service/admin_request.h"
#include "protocol/command_schema.h"
#include "service/commands.h"
#include "store/device_reads.h"
#include "store/enrollment_store.h"

namespace mdm::service {
using admin::JsonError;
using admin::JsonResponse;

namespace {

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
  return JsonResponse(200, store::DashboardJson(tx, ExpiriesJson(tx)));
}

namespace {

// What a role may not do, and which role may.
http::Response Forbidden(accounts::Role role, accounts::Role needed) {
  std::string what = needed == accounts::Role::kHelpdesk
                         ? " cannot send commands, remove devices or make enrollment links: that needs helpdesk or admin"
                         : " cannot change the catalog, settings, certificates or users, nor read them or the audit "
                           "log: that needs admin";
  return JsonError(403, std::string("the role ") + accounts::RoleName(role) + what);
}

}  // namespace

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
  if (caller->role < RequiredRole(route.kind)) return Forbidden(caller->role, RequiredRole(route.kind));
  switch (route.kind) {
    case Kind::kPostCommand: return PostCommand(req, conn, *caller);
    case Kind::kRemoveDevice: {
      pqxx::work tx(conn);
      if (!store::RemoveDevice(tx, route.id)) return JsonError(404, "no device " + route.id);
      accounts::Audit(tx, caller->actor, "remove device", {route.id}, "");
      tx.commit();
      auto r = JsonResponse(200, "{\"removed\": " + json::Quote(route.id) + "}");
      r.reason = "removed device " + route.id;
      return r;
    }
    case Kind::kCreateGroup:
    case Kind::kAddGroupDevices:
    case Kind::kRemoveGroupDevices:
    case Kind::kDeleteGroup:
    case Kind::kSetGroupRule:
    case Kind::kAddProfile:
    case Kind::kAddApp:
    case Kind::kAddDeclaration:
    case Kind::kAssign:
    case Kind::kUnassign:
    case Kind::kRemoveItem: return ChangeCatalog(req, route, conn, *caller);
    case Kind::kEnrollLink:
    case Kind::kEnrollProfile:
    case Kind::kSettings:
    case Kind::kSetApiUrl:
    case Kind::kSetActivationProfile:
    case Kind::kVendorCsr:
    case Kind::kVendorCert:
    case Kind::kApnsCsr:
    case Kind::kApnsCert:
    case Kind::kAbmTokenCert:
    case Kind::kAbmToken:
    case Kind::kUsers:
    case Kind::kAddUser:
    case Kind::kRemoveUser:
    case Kind::kSetUserPassword: return Configure(req, route, conn, *caller);
    case Kind::kDashboard: return Dashboard(conn);
    case Kind::kCommandTypes: return JsonResponse(200, protocol::CommandSchemaJson());
    default: break;  // the reads below
  }
  pqxx::read_transaction tx(conn);
  switch (route.kind) {
    case Kind::kApp: {
      auto doc = deploy::AppJson(tx, route.id);
      if (!doc) return JsonError(404, "no app " + route.id);
      return JsonResponse(200, *doc);
    }
    case Kind::kDeclaration: {
      auto doc = deploy::DeclarationJson(tx, route.id);
      if (!doc) return JsonError(404, "no declaration " + route.id);
      return JsonResponse(200, *doc);
    }
    case Kind::kDepDevices: return JsonResponse(200, store::DepDevicePageJson(tx, route.page));
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
    default: break;
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
