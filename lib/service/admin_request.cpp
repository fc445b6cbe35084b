#include "service/admin_request.h"

#include <algorithm>
#include <charconv>
#include <tuple>
#include <utility>

#include <rapidjson/document.h>

#include "core/utf8.h"
#include "json/json.h"
#include "protocol/command_schema.h"
#include "protocol/messages.h"

namespace mdm::service {
namespace {

AdminRefusal Refuse(int status, std::string message) { return AdminRefusal{status, std::move(message)}; }

bool Truthy(std::string_view query, const char* key) {
  std::string v;
  return http::QueryParam(query, key, &v) && (v.empty() || v == "1" || v == "true");
}

// A parameter that is there must be readable: QueryParam says false for absent and malformed.
bool Given(std::string_view query, std::string_view key) {
  for (size_t pos = 0; pos <= query.size();) {
    size_t amp = std::min(query.find('&', pos), query.size());
    std::string_view part = query.substr(pos, amp - pos);
    if (part.substr(0, part.find('=')) == key) return true;
    pos = amp + 1;
  }
  return false;
}

// A whole number from `min` to `max` when the parameter is given; false when it is unreadable.
bool Number(std::string_view query, const char* key, long long min, long long max, long long* out) {
  if (!Given(query, key)) return true;
  std::string v;
  if (!http::QueryParam(query, key, &v)) return false;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  return ec == std::errc() && p == v.data() + v.size() && *out >= min && *out <= max;
}

// GET /devices/<enrollment-id>/commands?status=&limit=&offset= (store::CommandHistoryJson).
std::variant<AdminRoute, AdminRefusal> ReadCommandHistory(std::string_view raw_id, std::string_view query) {
  AdminRoute route;
  route.kind = AdminRoute::Kind::kCommandHistory;
  store::CommandHistoryQuery& q = route.history;
  if (!http::UrlDecode(raw_id, &q.enrollment_id, false) || !IsPrintableUtf8(q.enrollment_id))
    return Refuse(400, "malformed enrollment ID: escape it as UTF-8 (%XX)");
  auto given = [&](std::string_view key) { return Given(query, key); };
  auto number = [&](const char* key, long long min, long long max, long long* out) {
    return Number(query, key, min, max, out);
  };
  if (given("status")) {
    std::string v;
    if (!http::QueryParam(query, "status", &v)) return Refuse(400, "malformed status in the query");
    if (!v.empty()) {
      for (const char* s : store::kQueueStatuses)
        if (v == s) q.status = v;
      if (!q.status)
        return Refuse(400, "status must be one of Pending, NotNow, Acknowledged, Error, CommandFormatError, "
                           "Expired, Canceled");
    }
  }
  if (!number("limit", 1, 1000, &q.limit)) return Refuse(400, "limit must be a number from 1 to 1000");
  if (!number("offset", 0, 1'000'000'000, &q.offset)) return Refuse(400, "offset must be a number, 0 or more");
  return route;
}

// GET /devices with paging (the console): ?limit=&offset=&sort=&order=asc|desc&search=
std::variant<AdminRoute, AdminRefusal> ReadDevicePage(std::string_view query) {
  AdminRoute route;
  route.kind = AdminRoute::Kind::kDevicePage;
  store::DevicePageQuery& q = route.page;
  if (!Number(query, "limit", 1, 1000, &q.limit)) return Refuse(400, "limit must be a number from 1 to 1000");
  if (!Number(query, "offset", 0, 1'000'000'000, &q.offset)) return Refuse(400, "offset must be a number, 0 or more");
  if (Given(query, "sort")) {
    std::string v;
    bool known = http::QueryParam(query, "sort", &v) &&
                 std::any_of(std::begin(store::kDeviceSortKeys), std::end(store::kDeviceSortKeys),
                             [&](const char* k) { return v == k; });
    if (!known)
      return Refuse(400, "sort must be one of serial_number, device_name, model, os_version, status, last_seen_at");
    q.sort = v;
  }
  if (Given(query, "order")) {
    std::string v;
    if (!http::QueryParam(query, "order", &v) || (v != "asc" && v != "desc"))
      return Refuse(400, "order must be asc or desc");
    q.descending = v == "desc";
  }
  if (Given(query, "search")) {
    if (!http::QueryParam(query, "search", &q.search) || !IsPrintableUtf8(q.search) || q.search.size() > 200)
      return Refuse(400, "search must be UTF-8 text of at most 200 bytes");
  }
  return route;
}

// GET /audit?limit=&offset=&device=
std::variant<AdminRoute, AdminRefusal> ReadAudit(std::string_view query) {
  AdminRoute route;
  route.kind = AdminRoute::Kind::kAudit;
  if (!Number(query, "limit", 1, 1000, &route.limit)) return Refuse(400, "limit must be a number from 1 to 1000");
  if (!Number(query, "offset", 0, 1'000'000'000, &route.offset))
    return Refuse(400, "offset must be a number, 0 or more");
  if (Given(query, "device")) {
    std::string v;
    if (!http::QueryParam(query, "device", &v) || !IsPrintableUtf8(v)) return Refuse(400, "malformed device ID");
    route.device = v;
  }
  return route;
}

}  // namespace

accounts::Role RequiredRole(AdminRoute::Kind kind) {
  using Kind = AdminRoute::Kind;
  using accounts::Role;
  switch (kind) {
    case Kind::kCommand:
    case Kind::kGroups:
    case Kind::kProfiles:
    case Kind::kApps:
    case Kind::kDeclarations:
    case Kind::kDevices:
    case Kind::kDevice:
    case Kind::kCommandHistory:
    case Kind::kVppAssets:
    case Kind::kDevicePage:
    case Kind::kDashboard:
    case Kind::kSession:
    case Kind::kGroup:
    case Kind::kProfile:
    case Kind::kApp:
    case Kind::kDeclaration:
    case Kind::kCommandTypes:
    case Kind::kDepDevices:
      return Role::kViewer;
    case Kind::kPostCommand:
    case Kind::kRemoveDevice:
    case Kind::kEnrollLink:
    case Kind::kEnrollProfile:
      return Role::kHelpdesk;
    case Kind::kAudit:
    case Kind::kCreateGroup:
    case Kind::kAddGroupDevices:
    case Kind::kAddProfile:
    case Kind::kAddApp:
    case Kind::kAddDeclaration:
    case Kind::kAssign:
    case Kind::kUnassign:
    case Kind::kRemoveItem:
    case Kind::kDeleteGroup:
    case Kind::kRemoveGroupDevices:
    case Kind::kSetGroupRule:
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
    case Kind::kSetUserPassword:
      return Role::kAdmin;
  }
  return Role::kAdmin;
}

std::variant<AdminRoute, AdminRefusal> ReadAdminRoute(std::string_view method, std::string_view path,
                                                      std::string_view query) {
  using Kind = AdminRoute::Kind;
  AdminRoute route;
  auto is = [&](Kind kind) {
    route.kind = kind;
    return route;
  };
  if (path == "/commands") {
    if (method != "POST") return Refuse(405, "POST a command here");
    return is(Kind::kPostCommand);
  }
  if (path.starts_with("/commands/") && method == "GET") {
    route.id = std::string(path.substr(10));
    return is(Kind::kCommand);
  }
  if (path == "/session") {
    if (method != "GET" && method != "POST" && method != "DELETE")
      return Refuse(405, "GET, POST (log in) or DELETE (log out) the session");
    return is(Kind::kSession);
  }
  // The catalog: a group name or a PayloadIdentifier in the path, %-escaped.
  auto named = [&](std::string_view raw, Kind kind) -> std::variant<AdminRoute, AdminRefusal> {
    if (raw.empty() || !http::UrlDecode(raw, &route.id, false) || !IsPrintableUtf8(route.id))
      return Refuse(400, "malformed name in the path: escape it as UTF-8 (%XX)");
    return is(kind);
  };
  if (path == "/groups" && method == "POST") return is(Kind::kCreateGroup);
  if (path == "/profiles" && method == "POST") return is(Kind::kAddProfile);
  if (path == "/apps" && method == "POST") return is(Kind::kAddApp);
  if (path == "/declarations" && method == "POST") return is(Kind::kAddDeclaration);
  // A group name may hold a '/' (an imported OCO group is named by its path, "School/Class 1"),
  // and nginx hands the path over decoded: the rest of the path is the name, but for a known
  // last part (/devices, /rule).
  if (path.starts_with("/groups/") && path.size() > 8) {
    std::string_view rest = path.substr(8);
    auto ends = [&](std::string_view tail) { return rest.size() > tail.size() && rest.ends_with(tail); };
    if (ends("/devices") && method == "POST") return named(rest.substr(0, rest.size() - 8), Kind::kAddGroupDevices);
    if (ends("/devices") && method == "DELETE")
      return named(rest.substr(0, rest.size() - 8), Kind::kRemoveGroupDevices);
    if (ends("/rule") && method == "PUT") return named(rest.substr(0, rest.size() - 5), Kind::kSetGroupRule);
    if (method == "GET") return named(rest, Kind::kGroup);
    if (method == "DELETE") return named(rest, Kind::kDeleteGroup);
  }
  // Profiles, apps and declarations: an identifier (no '/'), then nothing or /groups.
  constexpr std::pair<std::string_view, AdminRoute::Item> kItems[] = {
      {"/profiles/", AdminRoute::Item::kProfile},
      {"/apps/", AdminRoute::Item::kApp},
      {"/declarations/", AdminRoute::Item::kDeclaration}};
  for (const auto& [prefix, item] : kItems) {
    if (!path.starts_with(prefix) || path.size() == prefix.size()) continue;
    route.item = item;
    std::string_view rest = path.substr(prefix.size());
    size_t slash = rest.find('/');
    std::string_view id = rest.substr(0, slash), tail = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (tail == "/groups" && method == "POST") return named(id, Kind::kAssign);
    if (tail == "/groups" && method == "DELETE") return named(id, Kind::kUnassign);
    if (!tail.empty()) break;
    if (method == "DELETE") {
      route.force = Truthy(query, "force");
      return named(id, Kind::kRemoveItem);
    }
    if (method == "GET")
      return named(id, item == AdminRoute::Item::kProfile ? Kind::kProfile
                       : item == AdminRoute::Item::kApp   ? Kind::kApp
                                                          : Kind::kDeclaration);
  }
  // Enrollment, settings and certificates, users.
  constexpr std::tuple<std::string_view, std::string_view, Kind> kFixed[] = {
      {"POST", "/enrollment/links", Kind::kEnrollLink},
      {"POST", "/enrollment/profile", Kind::kEnrollProfile},
      {"GET", "/settings", Kind::kSettings},
      {"PUT", "/settings/api-url", Kind::kSetApiUrl},
      {"PUT", "/settings/activation-profile", Kind::kSetActivationProfile},
      {"POST", "/vendor/csr", Kind::kVendorCsr},
      {"POST", "/vendor/certificate", Kind::kVendorCert},
      {"POST", "/apns/csr", Kind::kApnsCsr},
      {"POST", "/apns/certificate", Kind::kApnsCert},
      {"POST", "/abm/token-certificate", Kind::kAbmTokenCert},
      {"POST", "/abm/token", Kind::kAbmToken},
      {"GET", "/users", Kind::kUsers},
      {"POST", "/users", Kind::kAddUser},
      {"GET", "/command-types", Kind::kCommandTypes}};
  std::string methods;  // those the path takes, for a 405
  for (const auto& [m, p, kind] : kFixed) {
    if (path != p) continue;
    if (method != m) {
      methods += (methods.empty() ? "" : " or ") + std::string(m);
      continue;
    }
    route.force = kind == Kind::kApnsCert && Truthy(query, "allow_topic_change");
    return is(kind);
  }
  if (!methods.empty()) return Refuse(405, std::string(path) + " takes " + methods);
  if (path.starts_with("/users/") && path.size() > 7) {
    std::string_view rest = path.substr(7);
    if (rest.ends_with("/password") && rest.size() > 9 && method == "PUT")
      return named(rest.substr(0, rest.size() - 9), Kind::kSetUserPassword);
    if (rest.find('/') == std::string_view::npos && method == "DELETE") return named(rest, Kind::kRemoveUser);
  }
  if (method == "DELETE" && path.starts_with("/devices/") && path.size() > 9 && path.find('/', 9) == std::string_view::npos) {
    if (!http::UrlDecode(path.substr(9), &route.id, false) || !IsPrintableUtf8(route.id))
      return Refuse(400, "malformed device ID: escape it as UTF-8 (%XX)");
    return is(Kind::kRemoveDevice);
  }
  if (method == "GET") {
    if (path == "/devices" && (Given(query, "limit") || Given(query, "offset") || Given(query, "sort") ||
                               Given(query, "order") || Given(query, "search")))
      return ReadDevicePage(query);
    if (path == "/dashboard") return is(Kind::kDashboard);
    if (path == "/dep-devices") {
      auto page = ReadDevicePage(query);
      if (auto* r = std::get_if<AdminRoute>(&page)) r->kind = Kind::kDepDevices;
      return page;
    }
    if (path == "/audit") return ReadAudit(query);
    if (path == "/groups") return is(Kind::kGroups);
    if (path == "/profiles") return is(Kind::kProfiles);
    if (path == "/apps") return is(Kind::kApps);
    if (path == "/declarations") return is(Kind::kDeclarations);
    if (path == "/devices") return is(Kind::kDevices);
    if (path == "/vpp/assets") return is(Kind::kVppAssets);
    if (path.starts_with("/devices/") && path.ends_with("/commands") && path.size() > 18)
      return ReadCommandHistory(path.substr(9, path.size() - 18), query);
    if (path.starts_with("/devices/")) {
      if (!http::UrlDecode(path.substr(9), &route.id, false) || !IsPrintableUtf8(route.id))
        return Refuse(400, "malformed device ID: escape it as UTF-8 (%XX)");
      return is(Kind::kDevice);
    }
  }
  return Refuse(404, "unknown admin route /v1" + std::string(path));
}

std::variant<AdminCommand, AdminRefusal> ReadAdminCommand(const http::Request& req) {
  AdminCommand out;
  out.options.source = "api";
  std::string ct = req.content_type();
  if (protocol::ContentTypeIs(ct, "application/json")) {
    rapidjson::Document doc;
    if (Status s = json::Parse(req.body, &doc); !s.ok()) return Refuse(400, "the body is refused: " + s.message());
    if (!doc.IsObject()) return Refuse(400, "the body must be a JSON object");
    auto ids = doc.FindMember("enrollment_ids");
    if (ids == doc.MemberEnd() || !ids->value.IsArray())
      return Refuse(400, "enrollment_ids must be an array of enrollment IDs");
    for (const auto& v : ids->value.GetArray()) {
      if (!v.IsString()) return Refuse(400, "enrollment_ids must hold strings");
      out.targets.emplace_back(v.GetString(), v.GetStringLength());
    }
    auto rt = doc.FindMember("request_type");
    if (rt == doc.MemberEnd() || !rt->value.IsString()) return Refuse(400, "request_type must be a string");
    rapidjson::Value empty(rapidjson::kObjectType);
    auto params = doc.FindMember("parameters");
    auto built = protocol::CommandFromJson(std::string_view(rt->value.GetString(), rt->value.GetStringLength()),
                                           params == doc.MemberEnd() ? empty : params->value);
    if (!built.ok()) return Refuse(400, built.status().message());
    out.command = std::move(built).value();
    if (auto p = doc.FindMember("priority"); p != doc.MemberEnd()) {
      if (!p->value.IsInt() || p->value.GetInt() < -100 || p->value.GetInt() > 100)
        return Refuse(400, "priority must be an integer from -100 to 100");
      out.options.priority = p->value.GetInt();
    }
    if (auto f = doc.FindMember("force"); f != doc.MemberEnd()) {
      if (!f->value.IsBool()) return Refuse(400, "force must be true or false");
      out.options.force = f->value.GetBool();
    }
  } else if (protocol::ContentTypeIs(ct, "application/x-plist") || protocol::ContentTypeIs(ct, "application/xml") ||
             protocol::ContentTypeIs(ct, "text/xml")) {
    auto parsed = plist::ParseDict(req.body);
    if (!parsed.ok()) return Refuse(400, parsed.status().message());
    out.command = std::move(parsed).value();
    size_t pos = 0;
    const std::string& q = req.query;
    while (pos <= q.size()) {
      size_t amp = q.find('&', pos);
      if (amp == std::string::npos) amp = q.size();
      std::string part = q.substr(pos, amp - pos), value;
      if (part.rfind("enrollment_id=", 0) == 0) {
        if (!http::UrlDecode(part.substr(14), &value, true) || !IsPrintableUtf8(value))
          return Refuse(400, "malformed enrollment_id in the query: escape it as UTF-8 (%XX)");
        for (size_t b = 0; b <= value.size();) {
          size_t c = value.find(',', b);
          if (c == std::string::npos) c = value.size();
          if (c > b) out.targets.push_back(value.substr(b, c - b));
          b = c + 1;
        }
      }
      pos = amp + 1;
    }
    out.options.force = Truthy(q, "force");
  } else {
    return Refuse(415, "send application/json, or a plist Command with application/x-plist");
  }
  out.push = !Truthy(req.query, "nopush");
  return out;
}

}  // namespace mdm::service
