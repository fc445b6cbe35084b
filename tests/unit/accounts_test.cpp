#include <catch2/catch.hpp>

#include "accounts/password.h"
#include "accounts/users.h"
#include "http/message.h"
#include "service/admin_api.h"
#include "service/admin_request.h"

using namespace mdm;

TEST_CASE("console passwords: salted scrypt, checked in constant time, malformed hashes refused", "[accounts]") {
  std::string a = accounts::HashPassword("correct horse battery"), b = accounts::HashPassword("correct horse battery");
  CHECK(a != b);  // a salt of its own each
  CHECK(a.rfind("scrypt$32768$8$1$", 0) == 0);
  CHECK(accounts::VerifyPassword("correct horse battery", a));
  CHECK_FALSE(accounts::VerifyPassword("correct horse batterY", a));
  CHECK_FALSE(accounts::VerifyPassword("", a));
  CHECK_FALSE(accounts::VerifyPassword("x", "scrypt$32768$8$1$salt"));
  CHECK_FALSE(accounts::VerifyPassword("x", "md5$abc"));
  CHECK_FALSE(accounts::VerifyPassword("x", "scrypt$99999999$8$1$c2FsdA==$aGFzaA=="));  // cost out of bounds
  CHECK(accounts::CheckNewPassword("short").message() == "a password needs at least 12 characters");
  CHECK(accounts::CheckNewPassword("twelve chars").ok());
  CHECK(accounts::ParseRole("helpdesk") == accounts::Role::kHelpdesk);
  CHECK_FALSE(accounts::ParseRole("root"));
  CHECK(accounts::Role::kViewer < accounts::Role::kHelpdesk);
}

TEST_CASE("console routes: session, paged device list, dashboard and audit are read before any check", "[accounts]") {
  using Kind = service::AdminRoute::Kind;
  auto route = [](const char* method, const char* path, const char* query) {
    return service::ReadAdminRoute(method, path, query);
  };
  CHECK(std::get<service::AdminRoute>(route("POST", "/session", "")).kind == Kind::kSession);
  CHECK(std::get<service::AdminRefusal>(route("PUT", "/session", "")).status == 405);
  CHECK(std::get<service::AdminRoute>(route("GET", "/devices", "")).kind == Kind::kDevices);
  auto page = std::get<service::AdminRoute>(route("GET", "/devices", "limit=20&offset=40&sort=serial_number&order=asc&search=C02%20X"));
  CHECK(page.kind == Kind::kDevicePage);
  CHECK(page.page.limit == 20);
  CHECK(page.page.offset == 40);
  CHECK(page.page.sort == "serial_number");
  CHECK_FALSE(page.page.descending);
  CHECK(page.page.search == "C02 X");
  CHECK(std::get<service::AdminRefusal>(route("GET", "/devices", "sort=password")).status == 400);
  CHECK(std::get<service::AdminRefusal>(route("GET", "/devices", "limit=5000")).status == 400);
  CHECK(std::get<service::AdminRefusal>(route("GET", "/devices", "order=sideways")).status == 400);
  CHECK(std::get<service::AdminRoute>(route("GET", "/dashboard", "")).kind == Kind::kDashboard);
  auto audit = std::get<service::AdminRoute>(route("GET", "/audit", "limit=10&device=ABC"));
  CHECK(audit.kind == Kind::kAudit);
  CHECK(audit.device == std::optional<std::string>("ABC"));
}

TEST_CASE("console cookie: the session's value is found among the others", "[accounts]") {
  http::Request req;
  req.headers["cookie"] = "theme=dark; mdm_session=abc-DEF_123; other=1";
  CHECK(service::CookieValue(req, "mdm_session") == "abc-DEF_123");
  CHECK(service::CookieValue(req, "missing").empty());
  req.headers["cookie"] = "mdm_session_x=1";
  CHECK(service::CookieValue(req, "mdm_session").empty());
}
