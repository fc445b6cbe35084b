#include <catch2/catch.hpp>

#include <variant>

#include "service/admin_request.h"

using namespace mdm;
using namespace mdm::service;

namespace {

AdminRoute Route(std::string_view method, std::string_view path, std::string_view query = "") {
  auto read = ReadAdminRoute(method, path, query);
  if (const auto* refused = std::get_if<AdminRefusal>(&read)) FAIL(refused->status << " " << refused->message);
  return std::get<AdminRoute>(read);
}

AdminRefusal Refused(std::string_view method, std::string_view path, std::string_view query = "") {
  auto read = ReadAdminRoute(method, path, query);
  REQUIRE(std::holds_alternative<AdminRefusal>(read));
  return std::get<AdminRefusal>(read);
}

http::Request Post(std::string content_type, std::string body, std::string query = "") {
  http::Request req;
  req.method = "POST";
  req.path = "/v1/commands";
  req.query = std::move(query);
  req.headers["content-type"] = std::move(content_type);
  req.body = std::move(body);
  return req;
}

}  // namespace

TEST_CASE("admin request: routes and their IDs", "[admin]") {
  CHECK(Route("POST", "/commands").kind == AdminRoute::Kind::kPostCommand);
  CHECK(Route("GET", "/devices").kind == AdminRoute::Kind::kDevices);
  CHECK(Route("GET", "/declarations").kind == AdminRoute::Kind::kDeclarations);
  AdminRoute command = Route("GET", "/commands/6F3C1E2A");
  CHECK(command.kind == AdminRoute::Kind::kCommand);
  CHECK(command.id == "6F3C1E2A");
  AdminRoute device = Route("GET", "/devices/user%2F0000%C3%A9");
  CHECK(device.kind == AdminRoute::Kind::kDevice);
  CHECK(device.id == "user/0000\xC3\xA9");
  CHECK(Refused("GET", "/commands").status == 405);
  CHECK(Refused("PUT", "/devices/x").status == 404);
  CHECK(Refused("DELETE", "/devices/x/commands").status == 404);
  AdminRoute removal = Route("DELETE", "/devices/x");
  CHECK(removal.kind == AdminRoute::Kind::kRemoveDevice);
  CHECK(removal.id == "x");
  CHECK(Route("POST", "/profiles/org.example.wifi/groups").id == "org.example.wifi");
  CHECK(Route("GET", "/groups/Class%205").id == "Class 5");
  CHECK(Route("GET", "/groups/School/Class 1").id == "School/Class 1");  // as nginx passes it, decoded
  CHECK(Refused("POST", "/groups/%ZZ/devices").status == 400);
  CHECK(Refused("GET", "/nothing").message == "unknown admin route /v1/nothing");
  CHECK(Refused("GET", "/devices/%ZZ").status == 400);
  CHECK(Refused("GET", "/devices/a%00b").status == 400);
}

TEST_CASE("admin request: the console's catalog, settings and user routes", "[admin]") {
  using Kind = AdminRoute::Kind;
  using Item = AdminRoute::Item;
  AdminRoute unassign = Route("DELETE", "/apps/com.example.notes/groups");
  CHECK(unassign.kind == Kind::kUnassign);
  CHECK(unassign.item == Item::kApp);
  CHECK(unassign.id == "com.example.notes");
  AdminRoute assign = Route("POST", "/declarations/org.example.passcode/groups");
  CHECK(assign.kind == Kind::kAssign);
  CHECK(assign.item == Item::kDeclaration);
  AdminRoute remove = Route("DELETE", "/profiles/org.example.wifi", "force=1");
  CHECK(remove.kind == Kind::kRemoveItem);
  CHECK(remove.item == Item::kProfile);
  CHECK(remove.force);
  CHECK_FALSE(Route("DELETE", "/apps/com.example.notes").force);
  CHECK(Route("GET", "/apps/com.example.notes").kind == Kind::kApp);
  CHECK(Route("GET", "/declarations/org.example.passcode").kind == Kind::kDeclaration);
  CHECK(Refused("GET", "/apps/a/b").status == 404);
  // Group names keep their '/', but a known last part is the action.
  AdminRoute rule = Route("PUT", "/groups/School/Class 1/rule");
  CHECK(rule.kind == Kind::kSetGroupRule);
  CHECK(rule.id == "School/Class 1");
  AdminRoute members = Route("DELETE", "/groups/School/Class 1/devices");
  CHECK(members.kind == Kind::kRemoveGroupDevices);
  CHECK(members.id == "School/Class 1");
  CHECK(Route("DELETE", "/groups/School").kind == Kind::kDeleteGroup);
  CHECK(Route("POST", "/enrollment/links").kind == Kind::kEnrollLink);
  CHECK(Refused("GET", "/enrollment/links").status == 405);
  CHECK(Route("POST", "/apns/certificate", "allow_topic_change=1").force);
  CHECK_FALSE(Route("POST", "/apns/certificate").force);
  CHECK(Route("POST", "/users").kind == Kind::kAddUser);
  CHECK(Route("GET", "/users").kind == Kind::kUsers);
  CHECK(Refused("PUT", "/users").message == "/users takes GET or POST");
  CHECK(Route("PUT", "/users/ada.l/password").id == "ada.l");
  CHECK(Route("DELETE", "/users/ada.l").kind == Kind::kRemoveUser);
  CHECK(Refused("DELETE", "/users/a/b").status == 404);
  AdminRoute dep = Route("GET", "/dep-devices", "limit=20&search=F9");
  CHECK(dep.kind == Kind::kDepDevices);
  CHECK(dep.page.limit == 20);
  CHECK(dep.page.search == "F9");
  CHECK(Refused("GET", "/dep-devices", "limit=0").status == 400);
}

TEST_CASE("admin request: the least role of each route", "[admin]") {
  using Kind = AdminRoute::Kind;
  using mdm::accounts::Role;
  CHECK(RequiredRole(Kind::kDevicePage) == Role::kViewer);
  CHECK(RequiredRole(Kind::kCommandTypes) == Role::kViewer);
  CHECK(RequiredRole(Kind::kPostCommand) == Role::kHelpdesk);
  CHECK(RequiredRole(Kind::kEnrollLink) == Role::kHelpdesk);
  // Settings hold what an attacker would want first: only an admin reads them.
  CHECK(RequiredRole(Kind::kSettings) == Role::kAdmin);
  CHECK(RequiredRole(Kind::kUsers) == Role::kAdmin);
  CHECK(RequiredRole(Kind::kAudit) == Role::kAdmin);
  CHECK(RequiredRole(Kind::kAssign) == Role::kAdmin);
}

TEST_CASE("admin request: command history parameters", "[admin]") {
  AdminRoute h = Route("GET", "/devices/ENR-1/commands", "status=NotNow&limit=1000&offset=20");
  REQUIRE(h.kind == AdminRoute::Kind::kCommandHistory);
  CHECK(h.history.enrollment_id == "ENR-1");
  CHECK(h.history.status == "NotNow");
  CHECK(h.history.limit == 1000);
  CHECK(h.history.offset == 20);
  AdminRoute all = Route("GET", "/devices/ENR-1/commands", "status=");
  CHECK_FALSE(all.history.status);
  CHECK(all.history.limit == 50);
  CHECK(Refused("GET", "/devices/ENR-1/commands", "limit=0").message == "limit must be a number from 1 to 1000");
  CHECK(Refused("GET", "/devices/ENR-1/commands", "limit=1001").status == 400);
  CHECK(Refused("GET", "/devices/ENR-1/commands", "limit=").status == 400);
  CHECK(Refused("GET", "/devices/ENR-1/commands", "offset=-1").status == 400);
  CHECK(Refused("GET", "/devices/ENR-1/commands", "offset=99999999999999999999").status == 400);
  CHECK(Refused("GET", "/devices/ENR-1/commands", "status=Done").status == 400);
  CHECK(Refused("GET", "/devices/ENR-1/commands", "status=%").message == "malformed status in the query");
  CHECK(Refused("GET", "/devices/%01/commands").status == 400);
}

TEST_CASE("admin request: a JSON command body", "[admin]") {
  auto read = ReadAdminCommand(Post("application/json; charset=utf-8",
                                    R"({"enrollment_ids": ["A", "B"], "request_type": "DeviceInformation",
                                        "parameters": {"Queries": ["DeviceName"]}, "priority": -3, "force": true})",
                                    "nopush=1"));
  REQUIRE(std::holds_alternative<AdminCommand>(read));
  const AdminCommand& c = std::get<AdminCommand>(read);
  CHECK(c.targets == std::vector<std::string>{"A", "B"});
  CHECK(c.options.source == "api");
  CHECK(c.options.priority == -3);
  CHECK(c.options.force);
  CHECK_FALSE(c.push);
  CHECK(plist::GetString(c.command.get(), "RequestType") == "DeviceInformation");

  auto refused = [](std::string body) {
    auto r = ReadAdminCommand(Post("application/json", std::move(body)));
    REQUIRE(std::holds_alternative<AdminRefusal>(r));
    return std::get<AdminRefusal>(r);
  };
  CHECK(refused("[]").message == "the body must be a JSON object");
  CHECK(refused(R"({"request_type": "DeviceLock"})").message == "enrollment_ids must be an array of enrollment IDs");
  CHECK(refused(R"({"enrollment_ids": [1], "request_type": "DeviceLock"})").message == "enrollment_ids must hold strings");
  CHECK(refused(R"({"enrollment_ids": [], "request_type": "DeviceLock", "priority": 101})").status == 400);
  CHECK(refused(R"({"enrollment_ids": [], "request_type": "DeviceLock", "force": 1})").message ==
        "force must be true or false");
}

TEST_CASE("admin request: a plist command with the targets in the query", "[admin]") {
  auto read = ReadAdminCommand(Post("application/x-plist",
                                    "<plist><dict><key>RequestType</key><string>RestartDevice</string></dict></plist>",
                                    "enrollment_id=A,B&enrollment_id=user%2FC,&force"));
  REQUIRE(std::holds_alternative<AdminCommand>(read));
  const AdminCommand& c = std::get<AdminCommand>(read);
  CHECK(c.targets == std::vector<std::string>{"A", "B", "user/C"});
  CHECK(c.options.force);
  CHECK(c.push);
  auto bad_id = ReadAdminCommand(Post("text/xml", "<plist><dict/></plist>", "enrollment_id=%0A"));
  REQUIRE(std::holds_alternative<AdminRefusal>(bad_id));
  CHECK(std::get<AdminRefusal>(bad_id).status == 400);
  auto other = ReadAdminCommand(Post("application/octet-stream", "{}"));
  REQUIRE(std::holds_alternative<AdminRefusal>(other));
  CHECK(std::get<AdminRefusal>(other).status == 415);
}
