// The admin API behind the console's catalog, enrollment, settings and user pages, without a
// browser: each role gets what it may and a 403 for the rest; bad input gets a sentence and
// changes nothing; key material never leaves the server; every change is audited.
#include <catch2/catch.hpp>

#include "crypto/crypto.h"
#include "plist/property_list.h"
#include "sim_device.h"
#include "stack.h"
#include "test_pki.h"

using mdm::test::HttpResponse;
using mdm::test::SharedStack;
using mdm::test::Stack;
namespace crypto = mdm::crypto;

namespace {

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

// As a script with the admin API key.
HttpResponse Key(const std::string& method, const std::string& route, const std::string& body = "",
                 const std::string& content_type = "application/json") {
  return SharedStack().Send(method, route, body,
                            {{"Authorization", "Bearer test-admin-key-0123456789"}, {"Content-Type", content_type}});
}

struct Session {
  std::string cookie, csrf;
};

Session LogIn(const std::string& name, const std::string& role) {
  const std::string password = name + " password 123";
  SharedStack().AddConsoleUser(name, role, password);
  auto r = SharedStack().Send("POST", "/v1/session", R"({"name":")" + name + R"(","password":")" + password + R"("})",
                              {{"Content-Type", "application/json"}});
  REQUIRE(r.status == 200);
  Session s;
  auto c = r.headers.find("set-cookie");
  REQUIRE(c != r.headers.end());
  s.cookie = c->second.substr(0, c->second.find(';'));
  s.csrf = r.body.substr(r.body.find("\"csrf_token\":\"") + 14, 64);
  return s;
}

HttpResponse As(const Session& s, const std::string& method, const std::string& route, const std::string& body = "") {
  return SharedStack().Send(method, route, body,
                            {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}, {"Content-Type", "application/json"}});
}

}  // namespace

TEST_CASE("console admin API: the least role of each page", "[console]") {
  Session viewer = LogIn("vera", "viewer"), helpdesk = LogIn("hank", "helpdesk");
  for (const char* route : {"/v1/settings", "/v1/users"}) {
    INFO(route);
    CHECK(As(viewer, "GET", route).status == 403);
    HttpResponse refused = As(helpdesk, "GET", route);
    CHECK(refused.status == 403);
    CHECK_THAT(refused.body, Catch::Contains("needs admin"));
  }
  CHECK(As(viewer, "POST", "/v1/enrollment/links", "{}").status == 403);
  CHECK(As(helpdesk, "POST", "/v1/apps", R"({"identifier":"com.example.notes"})").status == 403);
  CHECK(As(helpdesk, "PUT", "/v1/settings/api-url", R"({"url":"https://evil.example/api-mdm.php"})").status == 403);
  CHECK(Q("SELECT count(*) FROM apps WHERE identifier = 'com.example.notes'") == "0");
  // Everyone reads the command schema for the command form.
  HttpResponse types = As(viewer, "GET", "/v1/command-types");
  CHECK(types.status == 200);
  CHECK_THAT(types.body, Catch::Contains(R"({"request_type":"DeviceLock","device_channel":true)"));
  CHECK_THAT(types.body, Catch::Contains(R"({"name":"PIN","type":"string","required":false})"));
}

TEST_CASE("console admin API: enrollment links serve a signed profile once; the profile downloads", "[console]") {
  SharedStack().SetSetting("api_url", SharedStack().base_url());
  Session helpdesk = LogIn("hugo", "helpdesk");
  HttpResponse bad = As(helpdesk, "POST", "/v1/enrollment/links", R"({"identity":"usb"})");
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body, Catch::Contains("identity must be scep or pkcs12"));
  CHECK(As(helpdesk, "POST", "/v1/enrollment/links", R"({"expires_in":5})").status == 400);
  std::string tokens_before = Q("SELECT count(*) FROM enrollment_tokens");

  HttpResponse made = As(helpdesk, "POST", "/v1/enrollment/links",
                         R"({"name":"Front desk iPad","serial_number":"F9TESTLINK1","expires_in":3600})");
  REQUIRE(made.status == 200);
  CHECK(made.headers["cache-control"] == "no-store");
  size_t at = made.body.find(SharedStack().base_url() + "/enroll/");
  REQUIRE(at != std::string::npos);
  std::string path = made.body.substr(at + SharedStack().base_url().size());
  path = path.substr(0, path.find('"'));
  HttpResponse first = SharedStack().Get(path);
  CHECK(first.status == 200);
  CHECK(first.headers["content-type"] == "application/x-apple-aspen-config");
  CHECK(SharedStack().Get(path).status == 410);
  CHECK(Q("SELECT count(*) > 0 FROM audit_log WHERE actor = 'hugo' AND action = 'enrollment link' "
          "AND detail->>'serial_number' = 'F9TESTLINK1'") == "t");
  CHECK(Q("SELECT count(*) FROM enrollment_tokens") != tokens_before);

  HttpResponse profile = As(helpdesk, "POST", "/v1/enrollment/profile", R"({"name":"Spare"})");
  CHECK(profile.status == 200);
  CHECK(profile.headers["content-type"] == "application/x-apple-aspen-config");
  CHECK_THAT(profile.headers["content-disposition"], Catch::Contains("enroll.mobileconfig"));
  CHECK(profile.body.size() > 1000);
}

TEST_CASE("console admin API: settings show no secret, refuse bad values and keep the old ones", "[console]") {
  HttpResponse shown = Key("GET", "/v1/settings");
  REQUIRE(shown.status == 200);
  CHECK_THAT(shown.body, Catch::Contains(std::string(R"("topic":")") + Stack::kTopic));
  CHECK(shown.body.find("PRIVATE KEY") == std::string::npos);
  CHECK(shown.body.find("BEGIN") == std::string::npos);
  CHECK(shown.body.find("secret") == std::string::npos);

  SharedStack().SetSetting("api_url", SharedStack().base_url());
  std::string url_before = Q("SELECT value FROM settings WHERE name = 'api_url'");
  HttpResponse bad_url = Key("PUT", "/v1/settings/api-url", R"({"url":"ftp://mdm.example.com/x"})");
  CHECK(bad_url.status == 400);
  CHECK(Q("SELECT value FROM settings WHERE name = 'api_url'") == url_before);
  HttpResponse same = Key("PUT", "/v1/settings/api-url", R"({"url":")" + url_before + R"("})");
  CHECK(same.status == 200);

  HttpResponse bad_profile = Key("PUT", "/v1/settings/activation-profile", R"({"profile_name": 5})");
  CHECK(bad_profile.status == 400);
  CHECK(Q("SELECT count(*) FROM settings WHERE name = 'abm.activation_profile'") == "0");
  const std::string profile = R"({"profile_name": "School iPads", "url": ")" + url_before +
                              R"(/profile", "is_supervised": true})";
  CHECK(Key("PUT", "/v1/settings/activation-profile", profile).status == 200);
  CHECK_THAT(Key("GET", "/v1/settings").body, Catch::Contains(R"("activation_profile":{"profile_name":"School iPads")"));
  CHECK(Q("SELECT count(*) FROM audit_log WHERE action IN ('set api-url', 'set activation profile')") == "2");
}

TEST_CASE("console admin API: vendor and push certificates through CSRs and uploads", "[console]") {
  mdm::test::StandInApple apple;
  HttpResponse csr = Key("POST", "/v1/vendor/csr", R"({"common_name":"Example School"})");
  REQUIRE(csr.status == 200);
  CHECK_THAT(csr.body, Catch::StartsWith("-----BEGIN CERTIFICATE REQUEST-----"));
  CHECK_THAT(csr.headers["content-disposition"], Catch::Contains("vendor.csr"));

  HttpResponse junk = Key("POST", "/v1/vendor/certificate", "not a certificate", "application/octet-stream");
  CHECK(junk.status == 400);
  CHECK(Q("SELECT count(*) FROM settings WHERE name = 'vendor.cert'") == "0");
  HttpResponse vendor = Key("POST", "/v1/vendor/certificate", apple.PemForCsr(csr.body, "MDM Vendor: Example School"),
                            "application/octet-stream");
  CHECK(vendor.status == 200);
  CHECK_THAT(vendor.body, Catch::Contains("expires_at"));

  // The request for Apple's portal: base64 of a plist carrying the push CSR, signed by the vendor key.
  HttpResponse request = Key("POST", "/v1/apns/csr");
  REQUIRE(request.status == 200);
  std::string plist_bytes;
  REQUIRE(crypto::Base64Decode(request.body, &plist_bytes));
  auto parsed = mdm::plist::Parse(plist_bytes);
  REQUIRE(parsed.ok());
  auto push_csr = mdm::plist::GetString(parsed->get(), "PushCertRequestCSR");
  REQUIRE(push_csr);
  std::string push_csr_der;
  REQUIRE(crypto::Base64Decode(*push_csr, &push_csr_der));

  // Apple's answer with another topic is refused without the flag; with our topic it is stored.
  std::string cert_before = Q("SELECT value FROM settings WHERE name = 'apns.cert'");
  HttpResponse other = Key("POST", "/v1/apns/certificate",
                           apple.PemForCsr(push_csr_der, "APSP:other", "com.apple.mgmt.External.99999999-0000-0000-0000-000000000000"),
                           "application/octet-stream");
  CHECK(other.status == 409);
  CHECK_THAT(other.body, Catch::Contains("differs from the current"));
  CHECK(Q("SELECT value FROM settings WHERE name = 'apns.cert'") == cert_before);
  HttpResponse push = Key("POST", "/v1/apns/certificate", apple.PemForCsr(push_csr_der, "APSP:ours", Stack::kTopic),
                          "application/octet-stream");
  CHECK(push.status == 200);
  CHECK_THAT(push.body, Catch::Contains(R"("topic_changed": false)"));
  CHECK(Q("SELECT value FROM settings WHERE name = 'apns.topic'") == Stack::kTopic);

  HttpResponse token_cert = Key("POST", "/v1/abm/token-certificate");
  CHECK(token_cert.status == 200);
  CHECK_THAT(token_cert.body, Catch::StartsWith("-----BEGIN CERTIFICATE-----"));
  CHECK(Key("POST", "/v1/abm/token", "not a p7m", "application/octet-stream").status == 400);
  CHECK(Q("SELECT count(*) FROM settings WHERE name = 'abm.token'") == "0");
  CHECK(Q("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE action IN ('vendor csr', "
          "'vendor certificate', 'push csr', 'push certificate')") ==
        "vendor csr,vendor certificate,push csr,push certificate");
}

TEST_CASE("console admin API: users added, given a new password and removed, never one's own", "[console]") {
  Session admin = LogIn("adele", "admin");
  CHECK(As(admin, "POST", "/v1/users", R"({"name":"newbie","role":"boss","password":"long enough password"})").status == 400);
  CHECK(As(admin, "POST", "/v1/users", R"({"name":"newbie","role":"viewer","password":"short"})").status == 400);
  CHECK(Q("SELECT count(*) FROM console_users WHERE name = 'newbie'") == "0");
  CHECK(As(admin, "POST", "/v1/users", R"({"name":"newbie","role":"viewer","password":"long enough password"})").status == 200);
  CHECK_THAT(As(admin, "GET", "/v1/users").body, Catch::Contains(R"("name": "newbie", "role": "viewer")"));
  CHECK(As(admin, "PUT", "/v1/users/newbie/password", R"({"password":"another long password"})").status == 200);
  auto login = SharedStack().Send("POST", "/v1/session", R"({"name":"newbie","password":"another long password"})",
                                  {{"Content-Type", "application/json"}});
  CHECK(login.status == 200);
  HttpResponse self = As(admin, "DELETE", "/v1/users/adele");
  CHECK(self.status == 409);
  CHECK(As(admin, "DELETE", "/v1/users/newbie").status == 200);
  CHECK(As(admin, "DELETE", "/v1/users/newbie").status == 404);
  CHECK(Q("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE detail->>'user' = 'newbie'") ==
        "add user,user password,remove user");
}

TEST_CASE("console admin API: apps and declarations assigned and unassigned, groups' rules and members", "[console]") {
  mdm::test::SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  REQUIRE(Key("POST", "/v1/groups", R"({"name":"Lab"})").status == 200);
  REQUIRE(Key("POST", "/v1/groups", R"({"name":"Lab 2","parent":"Lab"})").status == 200);
  REQUIRE(Key("POST", "/v1/groups/Lab/devices", R"({"device_ids":[")" + d.serial() + R"("]})").status == 200);

  CHECK(Key("POST", "/v1/apps", R"({"identifier":""})").status == 400);
  CHECK(Key("POST", "/v1/apps", R"({"identifier":"com.example.notes","itunes_store_id":"x"})").status == 400);
  HttpResponse app = Key("POST", "/v1/apps", R"({"identifier":"com.example.notes","itunes_store_id":361309726,"name":"Notes"})");
  CHECK(app.status == 200);
  CHECK_THAT(app.body, Catch::Contains(R"("change": "added")"));
  CHECK(Key("POST", "/v1/apps/com.example.notes/groups", R"({"groups":["Lab"]})").body == R"({"assigned": 1})");
  CHECK_THAT(Key("GET", "/v1/apps/com.example.notes").body, Catch::Contains(R"("groups": ["Lab"])"));
  CHECK(Key("DELETE", "/v1/apps/com.example.notes").status == 409);
  CHECK(Key("DELETE", "/v1/apps/com.example.notes/groups", R"({"groups":["Lab"]})").body == R"({"unassigned": 1})");
  CHECK(Key("DELETE", "/v1/apps/com.example.notes").status == 200);
  CHECK(Key("GET", "/v1/apps/com.example.notes").status == 404);

  CHECK(Key("POST", "/v1/declarations", R"({"Type":"com.apple.configuration.passcode.settings"})").status == 400);
  HttpResponse decl = Key("POST", "/v1/declarations",
                          R"({"Type":"com.apple.configuration.passcode.settings","Identifier":"org.example.passcode",)"
                          R"("Payload":{"MinimumLength":6}})");
  REQUIRE(decl.status == 200);
  CHECK(Key("POST", "/v1/declarations/org.example.passcode/groups", R"({"groups":["Lab"]})").status == 200);
  // What mdmcron and the device would do: deploy it to the device, which reports it active.
  std::string token = Q("SELECT server_token FROM declarations WHERE identifier = 'org.example.passcode'");
  Q("INSERT INTO enrollment_declarations VALUES ('" + d.udid() + "', 'org.example.passcode')");
  Q("INSERT INTO declarative_status_reports (enrollment_id, report) VALUES ('" + d.udid() +
    "', '{\"StatusItems\": {\"management\": {\"declarations\": {\"configurations\": [{\"identifier\": "
    "\"org.example.passcode\", \"active\": true, \"valid\": \"valid\", \"server-token\": \"" + token + "\"}]}}}}')");
  Q("INSERT INTO declarative_status_reports (enrollment_id, report) VALUES ('" + d.udid() +
    "', '{\"StatusItems\": {\"device\": {\"operating-system\": {\"version\": \"18.1\"}}}}')");
  HttpResponse shown = Key("GET", "/v1/declarations/org.example.passcode");
  CHECK(shown.status == 200);
  CHECK_THAT(shown.body, Catch::Contains(R"("active": true)"));
  CHECK_THAT(shown.body, Catch::Contains(R"("valid": "valid")"));
  CHECK_THAT(shown.body, Catch::Contains("\"enrollment_id\": \"" + d.udid() + "\""));
  CHECK(Key("DELETE", "/v1/declarations/org.example.passcode", "").status == 409);
  CHECK(SharedStack().Send("DELETE", "/v1/declarations/org.example.passcode?force=1", "",
                           {{"Authorization", "Bearer test-admin-key-0123456789"}}).status == 200);

  HttpResponse bad_rule = Key("PUT", "/v1/groups/Lab/rule", R"({"colour":"blue"})");
  CHECK(bad_rule.status == 400);
  CHECK(Q("SELECT rule IS NULL FROM groups WHERE name = 'Lab'") == "t");
  CHECK(Key("PUT", "/v1/groups/Lab/rule", R"({"model":"iPad%"})").body == R"({"rule": {"model":"iPad%"}})");
  CHECK(Key("PUT", "/v1/groups/Lab/rule", "{}").body == R"({"rule": null})");
  CHECK(Key("DELETE", "/v1/groups/Lab").status == 409);  // Lab 2 is inside
  CHECK(Key("DELETE", "/v1/groups/Lab/devices", R"({"device_ids":[")" + d.udid() + R"("]})").body == R"({"removed": 1})");
  CHECK(Key("DELETE", "/v1/groups/Lab%202").status == 200);
  CHECK(Key("DELETE", "/v1/groups/Lab").status == 200);
  CHECK(Q("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE actor = 'api-key' AND action IN "
          "('app added', 'assign app', 'unassign app', 'remove app', 'remove declaration', 'delete group')") ==
        "app added,assign app,unassign app,remove app,remove declaration,delete group,delete group");
}

TEST_CASE("console admin API: ABM devices not enrolled yet, paged and searched", "[console]") {
  mdm::test::SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  Q("INSERT INTO dep_devices (serial_number, model, description) VALUES ('F9WAITING001', 'iPad Air', 'IPAD AIR WI-FI'), "
    "('F9WAITING002', 'iPhone 15', 'IPHONE 15'), ('" + d.serial() + "', 'iPad', 'enrolled already')");
  HttpResponse all = Key("GET", "/v1/dep-devices?limit=50");
  CHECK(all.status == 200);
  CHECK_THAT(all.body, Catch::Contains("F9WAITING001") && Catch::Contains("F9WAITING002"));
  CHECK(all.body.find(d.serial()) == std::string::npos);
  HttpResponse searched = Key("GET", "/v1/dep-devices?search=iphone&limit=1");
  CHECK_THAT(searched.body, Catch::Contains(R"("total": 1)") && Catch::Contains("F9WAITING002"));
  CHECK(searched.body.find("F9WAITING001") == std::string::npos);
}

TEST_CASE("console admin API: names with '%' and '/' in the path are read once, as sent", "[console]") {
  // nginx decodes PATH_INFO; the API reads the path as sent, so "%25" stays a '%' and "%2F" a '/'
  // inside one name instead of splitting the path.
  REQUIRE(Key("POST", "/v1/groups", R"({"name":"100% Maths"})").status == 200);
  REQUIRE(Key("POST", "/v1/groups", R"({"name":"Rooms/1","parent":"100% Maths"})").status == 200);
  HttpResponse percent = Key("GET", "/v1/groups/100%25%20Maths");
  CHECK(percent.status == 200);
  CHECK_THAT(percent.body, Catch::Contains(R"("name": "100% Maths")"));
  CHECK_THAT(Key("PUT", "/v1/groups/Rooms%2F1/rule", R"({"os_min":"17.0"})").body, Catch::Contains("17.0"));
  CHECK(Q("SELECT rule->>'os_min' FROM groups WHERE name = 'Rooms/1'") == "17.0");
  CHECK(Key("DELETE", "/v1/groups/Rooms%2F1").status == 200);
  CHECK(Key("DELETE", "/v1/groups/100%25%20Maths").status == 200);
}
