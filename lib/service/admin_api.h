// The admin API below /v1/: operators' scripts and the web console queue commands and read
// devices. Authenticated by the configured key (Authorization: Bearer KEY, or X-API-Key: KEY) or
// a console session (POST /v1/session); never by a device identity. Changes go to the audit log.
#pragma once

#include <optional>
#include <string_view>

#include "accounts/users.h"
#include "config/config.h"
#include "http/message.h"
#include "store/database.h"

namespace mdm::service {

// True when the request presents `key` (compared in constant time): "Authorization: Bearer KEY",
// the scheme in any case and followed by one or more spaces (RFC 9110 11.1, 11.4), or else
// "X-API-Key: KEY". An empty `key` matches nothing.
bool BearerOrApiKeyMatches(const http::Request& req, const std::string& key);

struct AdminRoute;  // admin_request.h

// Who calls: a script with the key (acts as admin), or a person of the web console with a
// session cookie (their role; a change needs the session's CSRF token in X-CSRF-Token).
struct AdminCaller {
  std::string actor;  // "api-key", or the console user's name (the audit log's actor)
  accounts::Role role = accounts::Role::kViewer;
  bool browser = false;
  std::string csrf_token;  // the session's (browser only)
};

// The console's session cookie.
inline constexpr const char* kSessionCookie = "mdm_session";

class AdminApi {
 public:
  explicit AdminApi(const Config& config) : key_(config.admin_api_key) {}
  // `path` is below /v1 (e.g. "/commands").
  http::Response Handle(const http::Request& req, const std::string& path, pqxx::connection& conn);

 private:
  std::optional<AdminCaller> Identify(const http::Request& req, pqxx::connection& conn) const;
  http::Response Session(const http::Request& req, pqxx::connection& conn);
  http::Response PostCommand(const http::Request& req, pqxx::connection& conn, const AdminCaller& caller);
  http::Response Dashboard(pqxx::connection& conn);
  // Changes to the catalog (admin_catalog.cpp): groups, members, rules; profiles, apps and
  // declarations and their groups.
  http::Response ChangeCatalog(const http::Request& req, const AdminRoute& route, pqxx::connection& conn,
                               const AdminCaller& caller);
  // Enrollment links and profiles, settings, certificates and users (admin_settings.cpp).
  http::Response Configure(const http::Request& req, const AdminRoute& route, pqxx::connection& conn,
                           const AdminCaller& caller);
  // The certificates' and tokens' expiries, a JSON array (the dashboard's).
  static std::string ExpiriesJson(pqxx::transaction_base& tx);

  std::string key_;
};

// The value of cookie `name` in the request's Cookie header, or "".
std::string CookieValue(const http::Request& req, std::string_view name);

}  // namespace mdm::service
