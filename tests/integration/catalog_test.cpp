// The deployment catalog: groups, profiles, apps, declarations and device parameters, through
// lib (the data each action leaves) and through mdm-console (what the operator sees).
#include <catch2/catch.hpp>

#include <algorithm>

#include <rapidjson/document.h>

#include "crypto/crypto.h"
#include "crypto/signed_data.h"
#include "deploy/catalog.h"
#include "deploy/profile_file.h"
#include "console_checks.h"
#include "stack.h"
#include "store/settings.h"

using mdm::test::SharedStack;
namespace crypto = mdm::crypto;
namespace deploy = mdm::deploy;
using deploy::Change;
using deploy::Kind;

namespace {

pqxx::connection& Conn() {
  static auto conn = SharedStack().Connect();
  return *conn;
}

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

std::string File(const std::string& name, const std::string& data) {
  std::string path = SharedStack().root() + "/" + name;
  mdm::test::WriteFile(path, data);
  return path;
}

void Devices(const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    Q("INSERT INTO devices (id, serial_number) VALUES ('" + id + "', 'S" + id + "') ON CONFLICT DO NOTHING");
}

std::string ProfileXml(const std::string& identifier, const std::string& ssid) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
         "<key>PayloadType</key><string>Configuration</string>"
         "<key>PayloadIdentifier</key><string>" + identifier + "</string>"
         "<key>PayloadUUID</key><string>" + identifier + "-uuid</string>"
         "<key>PayloadDisplayName</key><string>Wi-Fi " + ssid + "</string>"
         "<key>PayloadContent</key><array><dict>"
         "<key>PayloadType</key><string>com.apple.wifi.managed</string>"
         "<key>PayloadIdentifier</key><string>" + identifier + ".wifi</string>"
         "<key>PayloadUUID</key><string>" + identifier + "-wifi-uuid</string>"
         "<key>SSID_STR</key><string>" + ssid + "</string>"
         "</dict></array></dict></plist>\n";
}

deploy::ProfileFile Profile(const std::string& identifier, const std::string& ssid) {
  auto p = deploy::ReadProfile(ProfileXml(identifier, ssid));
  REQUIRE(p.ok());
  return std::move(p).value();
}

void CheckFails(const mdm::Status& s, const std::string& says) {
  INFO(s.message());
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains(says));
}

mdm::test::CommandResult Console(const std::vector<std::string>& args) { return SharedStack().Console(args); }

void CheckRefused(const std::vector<std::string>& args, const std::string& says) {
  mdm::test::CheckRefused(SharedStack(), args, says);
}


std::string Ok(const std::vector<std::string>& args) {
  auto r = Console(args);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  return r.output;
}

}  // namespace

TEST_CASE("catalog: the group tree refuses cycles, unknown parents, duplicates and orphans", "[catalog]") {
  auto& c = Conn();
  REQUIRE(deploy::CreateGroup(c, "school", "").ok());
  REQUIRE(deploy::CreateGroup(c, "ipads", "school").ok());
  REQUIRE(deploy::CreateGroup(c, "teachers", "ipads").ok());
  CheckFails(deploy::CreateGroup(c, "ipads", ""), "a group named 'ipads' already exists");
  CheckFails(deploy::CreateGroup(c, "lost", "nowhere"), "no parent group 'nowhere'");
  CHECK(Q("SELECT count(*) FROM groups WHERE name = 'lost'") == "0");
  CheckFails(deploy::CreateGroup(c, "--json", ""), "cannot start with '-'");

  CheckFails(deploy::SetGroupParent(c, "school", "teachers"), "would make a cycle");
  CheckFails(deploy::SetGroupParent(c, "school", "school"), "its own parent");
  CheckFails(deploy::SetGroupParent(c, "school", "nowhere"), "no parent group 'nowhere'");
  CheckFails(deploy::SetGroupParent(c, "nobody", "school"), "no group 'nobody'");
  CHECK(Q("SELECT parent_id IS NULL FROM groups WHERE name = 'school'") == "t");

  CheckFails(deploy::DeleteGroup(c, "school"), "has child groups (ipads)");
  CheckFails(deploy::DeleteGroup(c, "nobody"), "no group 'nobody'");

  // Moving a branch keeps its children with it; the list follows the tree.
  REQUIRE(deploy::SetGroupParent(c, "ipads", "").ok());
  REQUIRE(deploy::SetGroupParent(c, "school", "teachers").ok());
  {
    pqxx::read_transaction tx(c);
    rapidjson::Document d;
    d.Parse(deploy::GroupListJson(tx).c_str());
    std::vector<std::pair<std::string, int>> order;
    for (const auto& g : d.GetArray())
      if (std::string n = g["name"].GetString(); n == "ipads" || n == "teachers" || n == "school")
        order.emplace_back(n, g["depth"].GetInt());
    CHECK(order == std::vector<std::pair<std::string, int>>{{"ipads", 0}, {"teachers", 1}, {"school", 2}});
    rapidjson::Document s;
    s.Parse(deploy::GroupJson(tx, "school")->c_str());
    CHECK(s["path"].Size() == 3);
    CHECK(std::string(s["path"][0].GetString()) == "ipads");
    CHECK(std::string(s["parent"].GetString()) == "teachers");
  }
  REQUIRE(deploy::DeleteGroup(c, "school").ok());
  REQUIRE(deploy::DeleteGroup(c, "teachers").ok());
  REQUIRE(deploy::DeleteGroup(c, "ipads").ok());
}

TEST_CASE("catalog: group rules are checked before they are stored", "[catalog]") {
  auto& c = Conn();
  REQUIRE(deploy::CreateGroup(c, "ruled", "").ok());
  REQUIRE(deploy::SetGroupRule(c, "ruled",
                               R"({"model": "iPad%", "product": "iPad1_", "os_min": "17.0", "os_max": "18.9.1"})")
              .ok());
  CHECK(Q("SELECT rule->>'model' || ' ' || (rule->>'os_max') FROM groups WHERE name = 'ruled'") == "iPad% 18.9.1");

  CheckFails(deploy::SetGroupRule(c, "ruled", "iPad%"), "not a JSON object");
  CheckFails(deploy::SetGroupRule(c, "ruled", "{}"), "names nothing");
  CheckFails(deploy::SetGroupRule(c, "ruled", R"({"modle": "iPad%"})"), "unknown key 'modle'");
  CheckFails(deploy::SetGroupRule(c, "ruled", R"({"model": 7})"), "'model' in the rule must be a non-empty string");
  CheckFails(deploy::SetGroupRule(c, "ruled", R"({"os_min": "17.x"})"), "dotted version");
  CheckFails(deploy::SetGroupRule(c, "ruled", R"({"os_max": "17..1"})"), "dotted version");
  CheckFails(deploy::SetGroupRule(c, "ruled", R"({"os_min": "18.0", "os_max": "17.4"})"), "no device would match");
  // Versions compare as mdmcron compares them: 17 comes before 17.0.
  CheckFails(deploy::SetGroupRule(c, "ruled", R"({"os_min": "17.0", "os_max": "17"})"), "no device would match");
  CheckFails(deploy::SetGroupRule(c, "ruled", R"({"os_min": "17.1.2.3"})"), "dotted version");
  CheckFails(deploy::SetGroupRule(c, "ruled", R"({"os_min": "9999999"})"), "dotted version");
  CheckFails(deploy::SetGroupRule(c, "ruled", R"({"model": "iPad\\"})"), "lone backslash");
  CheckFails(deploy::SetGroupRule(c, "ruled", R"({"model": "a", "model": "b"})"), "twice");
  CheckFails(deploy::SetGroupRule(c, "nobody", R"({"model": "iPad%"})"), "no group 'nobody'");
  // Refusals left the rule as it was.
  CHECK(Q("SELECT rule->>'model' FROM groups WHERE name = 'ruled'") == "iPad%");
  REQUIRE(deploy::SetGroupRule(c, "ruled", R"({"model": "iPad\\%"})").ok());  // an escaped %

  REQUIRE(deploy::SetGroupRule(c, "ruled", "none").ok());
  CHECK(Q("SELECT rule IS NULL FROM groups WHERE name = 'ruled'") == "t");
}

TEST_CASE("catalog: members by device ID and by serial number", "[catalog]") {
  auto& c = Conn();
  Devices({"m-1", "m-2", "m-3"});
  REQUIRE(deploy::CreateGroup(c, "members", "").ok());
  auto unknown = deploy::AddGroupDevices(c, "members", {"m-1", "ghost", "phantom"});
  CheckFails(unknown.status(), "no devices 'ghost', 'phantom'");
  CHECK(Q("SELECT count(*) FROM group_devices m JOIN groups g ON g.id = m.group_id WHERE g.name = 'members'") == "0");

  auto added = deploy::AddGroupDevices(c, "members", {"m-1", "m-2", "m-1"});
  REQUIRE(added.ok());
  CHECK(*added == 2);
  CHECK(*deploy::AddGroupDevices(c, "members", {"m-1"}) == 0);
  // A member by rule that the operator adds by hand becomes a manual member.
  Q("INSERT INTO group_devices (group_id, device_id, source) "
    "SELECT id, 'm-3', 'rule' FROM groups WHERE name = 'members'");
  CHECK(*deploy::AddGroupDevices(c, "members", {"m-3"}) == 1);
  CHECK(Q("SELECT source FROM group_devices WHERE device_id = 'm-3'") == "manual");

  CheckFails(deploy::RemoveGroupDevices(c, "members", {"ghost"}).status(), "no device 'ghost'");
  CHECK(*deploy::RemoveGroupDevices(c, "members", {"m-1", "m-3"}) == 2);
  CheckFails(deploy::AddGroupDevices(c, "nobody", {"m-1"}).status(), "no group 'nobody'");

  auto serials = deploy::AddGroupSerials(c, "members", {"c02xk1abcd12", "C02XK1ABCD12", "F9FZ0000"});
  REQUIRE(serials.ok());
  CHECK(*serials == 2);
  CHECK(Q("SELECT string_agg(serial_number, ',' ORDER BY serial_number) FROM group_serials s "
          "JOIN groups g ON g.id = s.group_id WHERE g.name = 'members'") ==
        "C02XK1ABCD12,F9FZ0000");
  CheckFails(deploy::AddGroupSerials(c, "members", {"F9 FZ"}).status(), "'F9 FZ' is not a serial number");
  CHECK(*deploy::RemoveGroupSerials(c, "members", {"f9fz0000"}) == 1);

  pqxx::read_transaction tx(c);
  rapidjson::Document d;
  d.Parse(deploy::GroupJson(tx, "members")->c_str());
  REQUIRE(d["devices"].Size() == 1);
  CHECK(std::string(d["devices"][0]["id"].GetString()) == "m-2");
  CHECK(d["serials"].Size() == 1);
}

TEST_CASE("catalog: a profile edit keeps identifier and id, bumps version and content hash", "[catalog]") {
  auto& c = Conn();
  auto first = deploy::AddProfile(c, Profile("com.example.edit", "Office"));
  REQUIRE(first.ok());
  CHECK(first->change == Change::kAdded);
  CHECK(first->version == 1);
  std::string id = Q("SELECT id FROM profiles WHERE identifier = 'com.example.edit'");
  std::string hash = Q("SELECT content_hash FROM profiles WHERE identifier = 'com.example.edit'");
  Q("UPDATE profiles SET updated_at = now() - interval '1 hour' WHERE identifier = 'com.example.edit'");

  auto again = deploy::AddProfile(c, Profile("com.example.edit", "Office"));
  REQUIRE(again.ok());
  CHECK(again->change == Change::kUnchanged);
  CHECK(again->version == 1);

  auto edited = deploy::AddProfile(c, Profile("com.example.edit", "Guest"));
  REQUIRE(edited.ok());
  CHECK(edited->change == Change::kEdited);
  CHECK(edited->version == 2);
  CHECK(Q("SELECT id FROM profiles WHERE identifier = 'com.example.edit'") == id);
  CHECK(Q("SELECT content_hash FROM profiles WHERE identifier = 'com.example.edit'") != hash);
  CHECK(Q("SELECT updated_at > now() - interval '1 minute' FROM profiles "
          "WHERE identifier = 'com.example.edit'") == "t");
  CHECK(Q("SELECT xml LIKE '%Guest%' FROM profiles WHERE identifier = 'com.example.edit'") == "t");
}

TEST_CASE("catalog: assignments, and removal refused while assigned unless forced", "[catalog]") {
  auto& c = Conn();
  REQUIRE(deploy::AddProfile(c, Profile("com.example.assigned", "Lab")).ok());
  REQUIRE(deploy::CreateGroup(c, "lab", "").ok());
  REQUIRE(deploy::CreateGroup(c, "lab-2", "").ok());
  CheckFails(deploy::Assign(c, Kind::kProfile, "com.example.assigned", {"lab", "nolab"}).status(), "no group 'nolab'");
  const std::string assigned = "SELECT count(*) FROM group_profiles l JOIN profiles p ON p.id = l.profile_id "
                               "WHERE p.identifier = 'com.example.assigned'";
  CHECK(Q(assigned) == "0");
  CheckFails(deploy::Assign(c, Kind::kProfile, "com.example.none", {"lab"}).status(), "no profile 'com.example.none'");
  CHECK(*deploy::Assign(c, Kind::kProfile, "com.example.assigned", {"lab", "lab-2"}) == 2);
  CHECK(*deploy::Assign(c, Kind::kProfile, "com.example.assigned", {"lab"}) == 0);

  CheckFails(deploy::Remove(c, Kind::kProfile, "com.example.assigned", false), "assigned to group(s) lab, lab-2");
  CHECK(*deploy::Unassign(c, Kind::kProfile, "com.example.assigned", {"lab"}) == 1);
  CheckFails(deploy::Remove(c, Kind::kProfile, "com.example.assigned", false), "group(s) lab-2: unassign it first");
  REQUIRE(deploy::Remove(c, Kind::kProfile, "com.example.assigned", true).ok());
  CHECK(Q("SELECT count(*) FROM group_profiles l JOIN groups g ON g.id = l.group_id WHERE g.name = 'lab-2'") == "0");
  CheckFails(deploy::Remove(c, Kind::kProfile, "com.example.assigned", true), "no profile 'com.example.assigned'");
}

TEST_CASE("catalog: apps are added, updated, assigned and removed", "[catalog]") {
  auto& c = Conn();
  deploy::AppSpec app;
  app.identifier = "com.example.notes";
  app.itunes_store_id = 123456789;
  app.name = "Notes";
  REQUIRE(*deploy::AddApp(c, app) == Change::kAdded);
  CHECK(Q("SELECT management_flags FROM apps WHERE identifier = 'com.example.notes'") == "1");
  // Updating one field keeps the others.
  deploy::AppSpec flags;
  flags.identifier = "com.example.notes";
  flags.management_flags = 5;
  REQUIRE(*deploy::AddApp(c, flags) == Change::kEdited);
  CHECK(Q("SELECT itunes_store_id || ' ' || name || ' ' || management_flags FROM apps "
          "WHERE identifier = 'com.example.notes'") == "123456789 Notes 5");
  CheckFails(deploy::AddApp(c, {"com.example notes", {}, {}, {}, {}, {}}).status(), "not a bundle identifier");
  CheckFails(deploy::AddApp(c, {"com.example.x", -4, {}, {}, {}, {}}).status(), "positive number");
  CheckFails(deploy::AddApp(c, {"com.example.x", {}, {}, 2, {}, {}}).status(), "combine 1");

  REQUIRE(deploy::CreateGroup(c, "app-group", "").ok());
  CHECK(*deploy::Assign(c, Kind::kApp, "com.example.notes", {"app-group"}) == 1);
  CheckFails(deploy::Remove(c, Kind::kApp, "com.example.notes", false), "app 'com.example.notes' is assigned");
  CHECK(*deploy::Unassign(c, Kind::kApp, "com.example.notes", {"app-group"}) == 1);
  REQUIRE(deploy::Remove(c, Kind::kApp, "com.example.notes", false).ok());
  CheckFails(deploy::Assign(c, Kind::kApp, "com.example.notes", {"app-group"}).status(), "no app 'com.example.notes'");
}

TEST_CASE("catalog: declarations get a ServerToken that follows Type and Payload", "[catalog]") {
  auto& c = Conn();
  const std::string passcode =
      R"({"Type": "com.apple.configuration.passcode.settings", "Identifier": "com.example.passcode",
          "Payload": {"MinimumLength": 6, "RequireAlphanumericPasscode": false}})";
  auto first = deploy::AddDeclaration(c, passcode);
  REQUIRE(first.ok());
  CHECK(first->change == Change::kAdded);
  CHECK(first->server_token.size() == 64);
  CHECK(Q("SELECT server_token FROM declarations WHERE identifier = 'com.example.passcode'") == first->server_token);
  CHECK(Q("SELECT payload->>'MinimumLength' FROM declarations WHERE identifier = 'com.example.passcode'") == "6");

  // Key order and spacing do not matter; the content does.
  auto same = deploy::AddDeclaration(c, R"({"Payload": {"RequireAlphanumericPasscode": false, "MinimumLength": 6},
      "Identifier": "com.example.passcode", "Type": "com.apple.configuration.passcode.settings"})");
  REQUIRE(same.ok());
  CHECK(same->change == Change::kUnchanged);
  CHECK(same->server_token == first->server_token);
  auto edited = deploy::AddDeclaration(c, R"({"Type": "com.apple.configuration.passcode.settings",
      "Identifier": "com.example.passcode", "Payload": {"MinimumLength": 8}})");
  REQUIRE(edited.ok());
  CHECK(edited->change == Change::kEdited);
  CHECK(edited->server_token != first->server_token);
  CHECK(Q("SELECT server_token FROM declarations WHERE identifier = 'com.example.passcode'") == edited->server_token);

  CheckFails(deploy::AddDeclaration(c, R"({"Type": "com.example.thing", "Identifier": "x", "Payload": {}})").status(),
             "Type must start with");
  CheckFails(deploy::AddDeclaration(c, R"({"Type": "com.apple.configuration.", "Identifier": "x"})").status(),
             "Type must start with");
  CheckFails(deploy::AddDeclaration(c, R"({"Type": "com.apple.asset.data", "Identifier": ""})").status(),
             "no Identifier");
  CheckFails(
      deploy::AddDeclaration(c, R"({"Type": "com.apple.asset.data", "Identifier": "a", "Payload": []})").status(),
      "Payload must be a JSON object");
  CheckFails(deploy::AddDeclaration(c, R"({"Type": "com.apple.asset.data", "Identifier": "a", "Paylod": {}})").status(),
             "unknown key 'Paylod'");
  CheckFails(deploy::AddDeclaration(c, "[1, 2]").status(), "JSON object");

  REQUIRE(deploy::CreateGroup(c, "ddm", "").ok());
  CHECK(*deploy::Assign(c, Kind::kDeclaration, "com.example.passcode", {"ddm"}) == 1);
  CheckFails(deploy::Remove(c, Kind::kDeclaration, "com.example.passcode", false), "assigned to group(s) ddm");
  REQUIRE(deploy::Remove(c, Kind::kDeclaration, "com.example.passcode", true).ok());
  CHECK(Q("SELECT count(*) FROM group_declarations WHERE declaration_identifier = 'com.example.passcode'") == "0");
}

TEST_CASE("catalog: device parameters for placeholders", "[catalog]") {
  auto& c = Conn();
  Devices({"p-1"});
  REQUIRE(deploy::SetDeviceParam(c, "p-1", "user.name", "Ada").ok());
  REQUIRE(deploy::SetDeviceParam(c, "p-1", "user.name", "Grace").ok());
  REQUIRE(deploy::SetDeviceParam(c, "p-1", "asset_tag", "A-17").ok());
  CHECK(Q("SELECT string_agg(name || '=' || value, ',' ORDER BY name) FROM device_params WHERE device_id = 'p-1'") ==
        "asset_tag=A-17,user.name=Grace");
  CheckFails(deploy::SetDeviceParam(c, "ghost", "a", "b"), "no device 'ghost'");
  CheckFails(deploy::SetDeviceParam(c, "p-1", "$$a$$", "b"), "not a parameter name");
  REQUIRE(deploy::UnsetDeviceParam(c, "p-1", "asset_tag").ok());
  CheckFails(deploy::UnsetDeviceParam(c, "p-1", "asset_tag"), "device 'p-1' has no parameter 'asset_tag'");
  CheckFails(deploy::UnsetDeviceParam(c, "ghost", "asset_tag"), "no device 'ghost'");
}

TEST_CASE("console: the catalog verbs end to end", "[catalog][console]") {
  Devices({"c-1", "c-2"});
  CHECK_THAT(Ok({"group", "create", "fleet"}), Catch::Contains("created group fleet"));
  CHECK_THAT(Ok({"group", "create", "fleet-ipads", "--parent", "fleet"}), Catch::Contains("under fleet"));
  Ok({"group", "set-rule", "fleet-ipads", R"({"model": "iPad%", "os_min": "17.0"})"});
  CHECK_THAT(Ok({"group", "add-devices", "fleet-ipads", "c-1", "c-2"}),
             Catch::Contains("group fleet-ipads: added devices: 2 of the 2 named"));
  Ok({"group", "add-serials", "fleet-ipads", "DMPX0001"});

  // A signed profile with a placeholder.
  crypto::Pkey key = crypto::GenerateRsaKey();
  crypto::CertRequest req;
  req.common_name = "Example IT";
  crypto::Cert cert = crypto::SelfSign(key.get(), req).value();
  std::string xml = ProfileXml("com.example.console", "$$site$$-wlan");
  std::string signed_profile = crypto::SignAttached(xml, cert.get(), key.get(), {}).value();
  auto added = Console({"profile", "add", File("console.mobileconfig", signed_profile)});
  INFO(added.output);
  CHECK(added.exit_code == 0);
  CHECK_THAT(added.output, Catch::Contains("added profile com.example.console (version 1), signed by Example IT"));
  CHECK_THAT(added.output, Catch::Contains("$$site$$"));
  CHECK(Q("SELECT signer || ' ' || array_to_string(placeholders, ',') FROM profiles "
          "WHERE identifier = 'com.example.console'") == "Example IT site");
  CHECK_THAT(Ok({"profile", "add", File("console2.mobileconfig", ProfileXml("com.example.console", "other"))}),
             Catch::Contains("now version 2"));
  Ok({"profile", "assign", "com.example.console", "fleet-ipads"});
  Ok({"app", "add", "com.example.books", "--itunes-store-id", "364709193", "--name", "Books", "--flags", "5"});
  Ok({"app", "assign", "com.example.books", "fleet-ipads"});
  std::string decl = File("decl.json", R"({"Type": "com.apple.configuration.passcode.settings",
      "Identifier": "com.example.console.passcode", "Payload": {"MinimumLength": 4}})");
  CHECK_THAT(Ok({"declaration", "add", decl}), Catch::Contains("added declaration com.example.console.passcode"));
  Ok({"declaration", "assign", "com.example.console.passcode", "fleet-ipads", "fleet"});
  Ok({"device", "set-param", "c-1", "site", "Paris"});
  auto device = Console({"device", "show", "c-1", "--json"});
  rapidjson::Document dev;
  dev.Parse(device.output.c_str());
  REQUIRE(dev.IsObject());
  CHECK(std::string(dev["params"]["site"].GetString()) == "Paris");

  // list and show, as text and as JSON.
  std::string list = Ok({"group", "list"});
  CHECK_THAT(list, Catch::Contains("  fleet-ipads"));
  CHECK_THAT(list, Catch::Contains("iPad%"));
  auto json = Console({"group", "show", "fleet-ipads", "--json"});
  REQUIRE(json.exit_code == 0);
  rapidjson::Document g;
  g.Parse(json.output.c_str());
  REQUIRE(g.IsObject());
  CHECK(g["devices"].Size() == 2);
  CHECK(g["profiles"].Size() == 1);
  CHECK(g["apps"].Size() == 1);
  CHECK(g["declarations"].Size() == 1);
  CHECK(std::string(g["parent"].GetString()) == "fleet");
  std::string show = Ok({"group", "show", "fleet-ipads"});
  CHECK_THAT(show, Catch::Contains("fleet / fleet-ipads"));
  CHECK_THAT(show, Catch::Contains("com.example.books"));
  CHECK_THAT(Ok({"profile", "show", "com.example.console"}), Catch::Contains("fleet-ipads"));
  auto profiles = Console({"profile", "list", "--json"});
  rapidjson::Document p;
  p.Parse(profiles.output.c_str());
  CHECK(p.IsArray());
  CHECK_THAT(Ok({"app", "list"}), Catch::Contains("364709193"));
  CHECK_THAT(Ok({"declaration", "list"}), Catch::Contains("com.apple.configuration.passcode.settings"));
  CHECK_THAT(Ok({"group", "--help"}), Catch::Contains("set-rule"));

  CHECK_THAT(Ok({"profile", "remove", "com.example.console", "--force"}), Catch::Contains("removed profile"));
  Ok({"app", "unassign", "com.example.books", "fleet-ipads"});
  Ok({"app", "remove", "com.example.books"});
  Ok({"declaration", "unassign", "com.example.console.passcode", "fleet-ipads", "fleet"});
  Ok({"declaration", "remove", "com.example.console.passcode"});
  Ok({"group", "set-parent", "fleet-ipads", "--none"});
  Ok({"device", "unset-param", "c-1", "site"});
  Ok({"group", "delete", "fleet"});
  Ok({"group", "delete", "fleet-ipads"});
}

TEST_CASE("console: every bad input is exit status 1 and one sentence", "[catalog][console]") {
  Devices({"b-1"});
  Ok({"group", "create", "bad-a"});
  Ok({"group", "create", "bad-b", "--parent", "bad-a"});
  Ok({"profile", "add", File("bad.mobileconfig", ProfileXml("com.example.bad", "x"))});
  Ok({"profile", "assign", "com.example.bad", "bad-b"});

  CheckRefused({"group"}, "usage: mdm-console group create | delete");
  CheckRefused({"group", "frobnicate"}, "usage: mdm-console group");
  CheckRefused({"group", "create"}, "usage: mdm-console group create NAME");
  CheckRefused({"group", "create", "x", "--colour", "red"}, "unknown option --colour");
  CheckRefused({"group", "create", "x", "--parent"}, "--parent needs a value");
  CheckRefused({"group", "create", "bad-a"}, "a group named 'bad-a' already exists");
  CheckRefused({"group", "create", "x", "--parent", "nowhere"}, "no parent group 'nowhere'");
  CheckRefused({"group", "delete", "bad-a"}, "has child groups (bad-b)");
  CheckRefused({"group", "delete", "nowhere"}, "no group 'nowhere'");
  CheckRefused({"group", "set-parent", "bad-a", "bad-b"}, "cycle");
  CheckRefused({"group", "set-parent", "bad-a"}, "--none");
  CheckRefused({"group", "set-rule", "bad-a", R"({"os_min": "seventeen"})"}, "dotted version");
  CheckRefused({"group", "set-rule", "bad-a", R"({"colour": "red"})"}, "unknown key 'colour'");
  CheckRefused({"group", "set-rule", "bad-a", "{"}, "not a JSON object");
  CheckRefused({"group", "add-devices", "bad-a", "b-1", "ghost"}, "no device 'ghost'");
  CheckRefused({"group", "remove-devices", "nowhere", "b-1"}, "no group 'nowhere'");
  CheckRefused({"group", "add-serials", "bad-a", "not-a-serial"}, "is not a serial number");
  CheckRefused({"group", "show", "nowhere"}, "no group 'nowhere'");

  CheckRefused({"profile", "add", SharedStack().root() + "/missing.mobileconfig"}, "cannot read");
  CheckRefused({"profile", "add", File("junk.mobileconfig", "junk")}, "junk.mobileconfig: ");
  std::string not_config = ProfileXml("com.example.nc", "x");
  not_config.replace(not_config.find("Configuration"), 13, "com.apple.wifi.managed");
  CheckRefused({"profile", "add", File("nc.mobileconfig", not_config)},
               "this is not a configuration profile (PayloadType com.apple.wifi.managed)");
  std::string mdm = ProfileXml("com.example.mdm", "x");
  mdm.replace(mdm.find("com.apple.wifi.managed"), 22, "com.apple.mdm");
  CheckRefused({"profile", "add", File("mdm.mobileconfig", mdm)}, "MDM payload (com.apple.mdm)");
  CheckRefused({"profile", "remove", "com.example.bad"}, "is assigned to group(s) bad-b");
  CheckRefused({"profile", "remove", "com.example.nothing"}, "no profile 'com.example.nothing'");
  CheckRefused({"profile", "assign", "com.example.bad", "nowhere"}, "no group 'nowhere'");
  CheckRefused({"profile", "assign", "com.example.bad"}, "usage: mdm-console profile assign IDENTIFIER GROUP...");
  CheckRefused({"profile", "show", "com.example.nothing"}, "no profile 'com.example.nothing'");

  CheckRefused({"app", "add", "com.example.app", "--itunes-store-id", "abc"}, "--itunes-store-id takes");
  CheckRefused({"app", "add", "com.example.app", "--flags", "2"}, "combine 1");
  CheckRefused({"app", "add", "not a bundle id"}, "not a bundle identifier");
  CheckRefused({"app", "remove", "com.example.nothing"}, "no app 'com.example.nothing'");

  CheckRefused({"declaration", "add", File("d1.json", R"({"Type": "com.example.x", "Identifier": "a"})")},
               "Type must start with");
  CheckRefused({"declaration", "add", File("d2.json", "not json")}, "JSON object");
  CheckRefused({"declaration", "assign", "com.example.nothing", "bad-a"}, "no declaration 'com.example.nothing'");

  CheckRefused({"device", "set-param", "ghost", "site", "Paris"}, "no device 'ghost'");
  CheckRefused({"device", "set-param", "b-1", "bad name", "x"}, "not a parameter name");
  CheckRefused({"device", "set-param", "b-1", "site"}, "usage: mdm-console device set-param <id> NAME VALUE");
  CheckRefused({"device", "unset-param", "b-1", "site"}, "has no parameter 'site'");
  // A value that looks like an option passes after "--".
  Ok({"device", "set-param", "b-1", "site", "--", "--odd--"});
  CHECK(Q("SELECT value FROM device_params WHERE device_id = 'b-1'") == "--odd--");
}

TEST_CASE("catalog: a profile posing as the enrollment profile is refused", "[catalog]") {
  SharedStack().SetSetting(mdm::store::setting::kApiUrl, "https://mdm.example.org/api-mdm.php");
  auto s = deploy::AddProfile(Conn(), Profile("org.example.mdm.mdm.enrollment", "x"));
  CheckFails(s.status(), "enrollment profile");
  CHECK(Q("SELECT count(*) FROM profiles WHERE identifier = 'org.example.mdm.mdm.enrollment'") == "0");
}

TEST_CASE("admin API: the catalog reads, with the key", "[catalog][admin]") {
  mdm::test::HttpClient http(SharedStack().tls_cert());
  for (std::string what : {"groups", "profiles", "apps", "declarations"}) {
    auto denied = http.Request("GET", SharedStack().base_url() + "/v1/" + what, "");
    CHECK(denied.status == 401);
    auto r = http.Request("GET", SharedStack().base_url() + "/v1/" + what, "",
                          {{"Authorization", "Bearer test-admin-key-0123456789"}});
    INFO(what << ": " << r.body);
    CHECK(r.status == 200);
    CHECK(r.body.front() == '[');
  }
}
