// The web console's side of the admin API, without a browser: accounts made by mdm-console user,
// sessions in an HttpOnly cookie with an idle and an absolute end, the CSRF token on every change,
// roles, failed logins limited, and every change in the audit log.
#include <catch2/catch.hpp>

#include "crypto/crypto.h"
#include "sim_device.h"
#include "stack.h"

using mdm::test::HttpResponse;
using mdm::test::ParseCommand;
using mdm::test::SharedStack;
using mdm::test::Stack;

namespace {

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

void AddUser(const std::string& name, const std::string& role, const std::string& password) {
  SharedStack().AddConsoleUser(name, role, password);
}

struct Login {
  HttpResponse response;
  std::string cookie, csrf;
};

Login LogIn(const std::string& name, const std::string& password) {
  Login l;
  l.response = SharedStack().Send("POST", "/v1/session",
                                  R"({"name":")" + name + R"(","password":")" + password + R"("})",
                                  {{"Content-Type", "application/json"}});
  auto c = l.response.headers.find("set-cookie");
  if (c != l.response.headers.end()) l.cookie = c->second.substr(0, c->second.find(';'));
  auto at = l.response.body.find("\"csrf_token\":\"");
  if (at != std::string::npos) l.csrf = l.response.body.substr(at + 14, 64);
  return l;
}

HttpResponse As(const Login& l, const std::string& method, const std::string& route, const std::string& body = "",
                bool with_csrf = true) {
  mdm::test::Headers h = {{"Cookie", l.cookie}, {"Content-Type", "application/json"}};
  if (with_csrf) h.emplace_back("X-CSRF-Token", l.csrf);
  return SharedStack().Send(method, route, body, h);
}

}  // namespace

TEST_CASE("console sessions: log in, the cookie's flags, CSRF on changes, roles, audit, log out", "[console]") {
  AddUser("alice", "helpdesk", "correct horse battery");
  AddUser("victor", "viewer", "viewer password 1");
  AddUser("ada", "admin", "admin password 12");
  CHECK(Q("SELECT password_hash LIKE 'scrypt$32768$8$1$%' FROM console_users WHERE name = 'alice'") == "t");
  // The same name twice, a short password: a sentence, nothing changed.
  auto again = mdm::test::Run({"/bin/sh", "-c", "printf 'short\\n' | " + std::string(MDM_CONSOLE_BIN) + " --config " +
                                                    SharedStack().config_path() + " user add bob --role viewer --password-stdin"});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.output, Catch::Contains("at least 12 characters"));

  CHECK(LogIn("alice", "wrong password!").response.status == 401);
  CHECK(LogIn("nobody", "wrong password!").response.status == 401);
  Login alice = LogIn("alice", "correct horse battery");
  INFO(alice.response.body);
  REQUIRE(alice.response.status == 200);
  std::string set_cookie = alice.response.headers["set-cookie"];
  CHECK_THAT(set_cookie, Catch::Contains("HttpOnly"));
  CHECK_THAT(set_cookie, Catch::Contains("Secure"));
  CHECK_THAT(set_cookie, Catch::Contains("SameSite=Strict"));
  CHECK_THAT(set_cookie, Catch::Contains("Path=/api-mdm.php/v1"));
  CHECK(alice.csrf.size() == 64);
  // Only the token's hash is stored.
  CHECK(Q("SELECT count(*) FROM console_sessions WHERE encode(token_sha256, 'hex') = '" +
          mdm::crypto::Hex(mdm::crypto::Sha256(alice.cookie.substr(alice.cookie.find('=') + 1))) + "'") == "1");
  CHECK_THAT(As(alice, "GET", "/v1/session").body, Catch::Contains("\"role\":\"helpdesk\""));

  // A device to send to.
  auto device = mdm::test::EnrolledDevice(SharedStack());
  std::string lock = R"({"enrollment_ids":[")" + device.udid() + R"("],"request_type":"DeviceLock","parameters":{"Message":"Call IT"}})";
  // A change without the CSRF token (what another site's form would send) is refused.
  auto forged = As(alice, "POST", "/v1/commands?nopush", lock, false);
  CHECK(forged.status == 403);
  CHECK_THAT(forged.body, Catch::Contains("CSRF"));
  Login wrong_csrf = alice;
  wrong_csrf.csrf = std::string(64, 'a');
  CHECK(As(wrong_csrf, "POST", "/v1/commands?nopush", lock).status == 403);
  CHECK(Q("SELECT count(*) FROM commands WHERE request_type = 'DeviceLock'") == "0");
  auto sent = As(alice, "POST", "/v1/commands?nopush", lock);
  INFO(sent.body);
  REQUIRE(sent.status == 200);
  CHECK(Q("SELECT actor || ' ' || action || ' ' || device_id || ' ' || (detail ->> 'command_uuid' IS NOT NULL) "
          "FROM audit_log WHERE action LIKE 'command %'") == "alice command DeviceLock " + device.udid() + " true");

  // A viewer reads but does not send; only an admin reads the audit log.
  Login victor = LogIn("victor", "viewer password 1");
  REQUIRE(victor.response.status == 200);
  CHECK(As(victor, "GET", "/v1/devices/" + device.udid()).status == 200);
  auto refused = As(victor, "POST", "/v1/commands?nopush", lock);
  CHECK(refused.status == 403);
  CHECK_THAT(refused.body, Catch::Contains("viewer cannot send commands"));
  CHECK(As(alice, "GET", "/v1/audit").status == 403);
  Login ada = LogIn("ada", "admin password 12");
  auto audit = As(ada, "GET", "/v1/audit?limit=10");
  CHECK(audit.status == 200);
  CHECK_THAT(audit.body, Catch::Contains("\"action\": \"command DeviceLock\""));
  CHECK_THAT(audit.body, Catch::Contains("\"action\": \"login\""));
  // The API key still works for scripts, and its changes are audited as api-key.
  auto by_key = SharedStack().Send("POST", "/v1/commands?nopush",
                                   R"({"enrollment_ids":[")" + device.udid() + R"("],"request_type":"ProfileList"})",
                                   {{"Authorization", "Bearer test-admin-key-0123456789"}, {"Content-Type", "application/json"}});
  CHECK(by_key.status == 200);
  CHECK(Q("SELECT actor FROM audit_log WHERE action = 'command ProfileList'") == "api-key");

  // ClearPasscode: the server adds the UnlockToken the device gave; the API never shows it.
  auto clear = As(alice, "POST", "/v1/commands?nopush",
                  R"({"enrollment_ids":[")" + device.udid() + R"("],"request_type":"ClearPasscode"})");
  INFO(clear.body);
  CHECK(clear.status == 200);
  CHECK(Q("SELECT position(replace(encode(e.unlock_token, 'base64'), E'\\n', '') IN "
          "regexp_replace(convert_from(c.body, 'UTF8'), '\\s', '', 'g')) > 0 FROM commands c, "
          "enrollments e WHERE c.request_type = 'ClearPasscode' AND e.id = '" + device.udid() + "'") == "t");
  // Remove from management: helpdesk may, viewer may not; audited.
  auto other = mdm::test::EnrolledDevice(SharedStack());
  CHECK(As(victor, "DELETE", "/v1/devices/" + other.udid()).status == 403);
  CHECK(As(alice, "DELETE", "/v1/devices/" + other.udid()).status == 200);
  CHECK(Q("SELECT status FROM enrollments WHERE id = '" + other.udid() + "'") == "removed");
  CHECK(Q("SELECT actor FROM audit_log WHERE action = 'remove device' AND device_id = '" + other.udid() + "'") == "alice");
  CHECK(As(alice, "DELETE", "/v1/devices/no-such-device").status == 404);

  // An idle session ends; so does one past its absolute end.
  Q("UPDATE console_sessions SET last_used_at = now() - interval '31 minutes' WHERE user_id = "
    "(SELECT id FROM console_users WHERE name = 'victor')");
  CHECK(As(victor, "GET", "/v1/session").status == 401);
  CHECK(As(victor, "GET", "/v1/devices").status == 401);
  Q("UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE user_id = "
    "(SELECT id FROM console_users WHERE name = 'ada')");
  CHECK(As(ada, "GET", "/v1/session").status == 401);

  // Log out: needs the CSRF token, ends the session, clears the cookie.
  CHECK(As(alice, "DELETE", "/v1/session", "", false).status == 403);
  auto out = As(alice, "DELETE", "/v1/session");
  CHECK(out.status == 200);
  CHECK_THAT(out.headers["set-cookie"], Catch::Contains("Max-Age=0"));
  CHECK(As(alice, "GET", "/v1/session").status == 401);
  CHECK(Q("SELECT count(*) FROM audit_log WHERE action = 'logout' AND actor = 'alice'") == "1");
}

TEST_CASE("console logins: five failures make an account wait, with Retry-After", "[console]") {
  AddUser("mallory", "viewer", "mallory password");
  for (int i = 0; i < 5; ++i) CHECK(LogIn("mallory", "guess " + std::to_string(i)).response.status == 401);
  auto limited = LogIn("mallory", "mallory password").response;
  CHECK(limited.status == 429);
  CHECK(!limited.headers["retry-after"].empty());
  CHECK_THAT(limited.body, Catch::Contains("too many failed logins"));
  // Another account from the same address still logs in (the address allows 20).
  AddUser("trent", "viewer", "trent password 1");
  CHECK(LogIn("trent", "trent password 1").response.status == 200);
}

TEST_CASE("console device list: pages, sorts and searches on the server", "[console]") {
  AddUser("paging", "viewer", "paging password");
  Login l = LogIn("paging", "paging password");
  for (int i = 0; i < 3; ++i) mdm::test::EnrolledDevice(SharedStack());
  Q("UPDATE devices SET device_name = 'Needle <script>alert(1)</script>' WHERE id = (SELECT min(id) FROM devices)");
  auto page = As(l, "GET", "/v1/devices?limit=2&offset=0&sort=device_name&order=asc");
  INFO(page.body);
  REQUIRE(page.status == 200);
  CHECK_THAT(page.body, Catch::Contains("\"limit\": 2"));
  CHECK_THAT(page.body, Catch::Contains("\"total\": "));
  auto found = As(l, "GET", "/v1/devices?limit=50&search=needle%20%3Cscript");
  CHECK_THAT(found.body, Catch::Contains("\"total\": 1"));
  // A group's name finds its members.
  Q("INSERT INTO groups (name) VALUES ('Haystack Class')");
  Q("INSERT INTO group_devices (group_id, device_id) SELECT g.id, d.id FROM groups g, devices d "
    "WHERE g.name = 'Haystack Class' AND d.id = (SELECT max(id) FROM devices)");
  auto by_group = As(l, "GET", "/v1/devices?limit=50&search=haystack");
  CHECK_THAT(by_group.body, Catch::Contains("\"total\": 1"));
  CHECK_THAT(by_group.body, Catch::Contains(Q("SELECT max(id) FROM devices")));
  CHECK(As(l, "GET", "/v1/devices?limit=50&sort=password").status == 400);
  CHECK(As(l, "GET", "/v1/devices?limit=0").status == 400);
  auto dash = As(l, "GET", "/v1/dashboard");
  CHECK(dash.status == 200);
  for (const char* key : {"devices_total", "devices_by_status", "devices_by_os", "not_seen_7d", "commands_pending",
                          "cron_runs", "expiries"})
    CHECK_THAT(dash.body, Catch::Contains(std::string("\"") + key + "\""));
}

TEST_CASE("console catalog: an admin makes a group, adds a device, uploads a profile, assigns it; mdmcron installs it", "[console]") {
  AddUser("cat", "admin", "catalog password");
  AddUser("desk", "helpdesk", "helpdesk password");
  Login admin = LogIn("cat", "catalog password"), desk = LogIn("desk", "helpdesk password");
  auto device = mdm::test::EnrolledDevice(SharedStack());

  CHECK(As(desk, "POST", "/v1/groups", R"({"name":"Class 5"})").status == 403);
  CHECK(As(admin, "POST", "/v1/groups", R"({"name":"Class 5"})").status == 200);
  CHECK(As(admin, "POST", "/v1/groups", R"({"name":"Class 5"})").status == 409);
  // A serial number stands for its device.
  auto added = As(admin, "POST", "/v1/groups/Class%205/devices", R"({"device_ids":[")" + device.serial() + R"("]})");
  INFO(added.body);
  CHECK(added.status == 200);
  CHECK_THAT(added.body, Catch::Contains("\"added\": 1"));
  CHECK(As(admin, "POST", "/v1/groups/No%20such/devices", R"({"device_ids":["x"]})").status == 404);

  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict>"
                    "<key>PayloadType</key><string>Configuration</string>"
                    "<key>PayloadIdentifier</key><string>org.example.console.wifi</string>"
                    "<key>PayloadUUID</key><string>6D1B0C4E-4C3A-4F0B-9C57-0F7E8A1D2B3C</string>"
                    "<key>PayloadVersion</key><integer>1</integer>"
                    "<key>PayloadDisplayName</key><string>Console Wi-Fi</string>"
                    "<key>PayloadContent</key><array/></dict></plist>";
  mdm::test::Headers h = {{"Cookie", admin.cookie}, {"X-CSRF-Token", admin.csrf},
                          {"Content-Type", "application/x-apple-aspen-config"}};
  auto up = SharedStack().Send("POST", "/v1/profiles", xml, h);
  INFO(up.body);
  CHECK(up.status == 200);
  CHECK_THAT(up.body, Catch::Contains("\"change\": \"added\""));
  CHECK_THAT(SharedStack().Send("POST", "/v1/profiles", xml, h).body, Catch::Contains("\"change\": \"unchanged\""));
  auto bad = SharedStack().Send("POST", "/v1/profiles", "not a profile", h);
  CHECK(bad.status == 400);
  CHECK(As(admin, "POST", "/v1/profiles/org.example.console.wifi/groups", R"({"groups":["Class 5"]})").status == 200);
  CHECK(Q("SELECT count(*) FROM audit_log WHERE actor = 'cat'") == "5");  // login, group, member, profile, assign

  auto cron = SharedStack().Console({"mdmcron", "--no-push"});
  INFO(cron.output);
  REQUIRE(cron.exit_code == 0);
  bool installed = false;
  for (int i = 0; i < 5 && !installed; ++i) {
    auto cmd = ParseCommand(device.Idle());
    if (!cmd) break;
    installed |= cmd->request_type == "InstallProfile";
    REQUIRE(device.Answer(*cmd).status == 200);
  }
  CHECK(installed);
  auto profile = As(admin, "GET", "/v1/profiles/org.example.console.wifi");
  CHECK_THAT(profile.body, Catch::Contains("\"installed\": 1"));
  CHECK_THAT(profile.body, Catch::Contains("\"status\": \"installed\""));
  CHECK_THAT(As(admin, "GET", "/v1/groups/Class%205").body, Catch::Contains(device.udid()));
}
