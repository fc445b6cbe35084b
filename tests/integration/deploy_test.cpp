// mdmcron's reconcile with simulated devices through nginx: groups, profiles, apps,
// declarations, placeholders, DeviceConfigured, and the no-op run.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "crypto/crypto.h"
#include "sim_device.h"
#include "stack.h"

using mdm::test::ParseCommand;
using mdm::test::ReceivedCommand;
using mdm::test::SharedStack;
using mdm::test::SimDevice;
using mdm::test::Stack;
namespace plist = mdm::plist;

namespace {

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

SimDevice Enrolled(bool awaiting_configuration = false) {
  static mdm::enroll::DeviceCa ca = SharedStack().DeviceCa();
  SimDevice d(SharedStack().base_url(), SharedStack().tls_cert(), ca);
  REQUIRE(d.Authenticate(Stack::kTopic).status == 200);
  plist::Owned extra(plist_new_dict());
  plist::SetString(extra.get(), "Topic", Stack::kTopic);
  plist::SetData(extra.get(), "Token", d.token());
  plist::SetString(extra.get(), "PushMagic", d.push_magic());
  plist::SetBool(extra.get(), "AwaitingConfiguration", awaiting_configuration);
  REQUIRE(d.Checkin("TokenUpdate", extra.get()).status == 200);
  return d;
}

// One mdmcron (no APNs configured here: pushes are the push tests' business).
std::string Cron() {
  auto r = SharedStack().Console({"mdmcron", "--no-push"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return r.output;
}

// The device checks in and answers everything it gets; returns what it got.
std::vector<ReceivedCommand> Drain(SimDevice& d) {
  std::vector<ReceivedCommand> got;
  auto c = ParseCommand(d.Idle());
  while (c) {
    auto next = ParseCommand(d.Answer(*c));
    got.push_back(std::move(*c));
    c = std::move(next);
  }
  return got;
}

std::vector<std::string> Types(const std::vector<ReceivedCommand>& cmds) {
  std::vector<std::string> t;
  for (const auto& c : cmds) t.push_back(c.request_type);
  return t;
}

bool Has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::string ProfileXml(const std::string& identifier, const std::string& marker) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict>"
         "<key>PayloadType</key><string>Configuration</string>"
         "<key>PayloadIdentifier</key><string>" + identifier + "</string>"
         "<key>PayloadUUID</key><string>" + mdm::crypto::NewUuid() + "</string>"
         "<key>PayloadVersion</key><integer>1</integer>"
         "<key>PayloadDisplayName</key><string>" + marker + "</string>"
         "<key>PayloadContent</key><array/></dict></plist>";
}

// Catalog rows as the console verbs write them.
std::string AddProfile(const std::string& identifier, const std::string& xml, const std::string& placeholders = "{}") {
  return Q("INSERT INTO profiles (identifier, payload_uuid, xml, original, placeholders, content_hash) VALUES ('" +
           identifier + "', 'u', $x$" + xml + "$x$, convert_to($x$" + xml + "$x$, 'UTF8'), '" + placeholders +
           "', md5($x$" + xml + "$x$)) ON CONFLICT (identifier) DO UPDATE SET xml = EXCLUDED.xml, "
           "content_hash = EXCLUDED.content_hash, version = profiles.version + 1 RETURNING id");
}

std::string Group(const std::string& name, const std::string& parent = "") {
  return Q("INSERT INTO groups (name, parent_id) VALUES ('" + name + "', " +
           (parent.empty() ? "NULL" : "(SELECT id FROM groups WHERE name = '" + parent + "')") + ") RETURNING id");
}

void Join(const std::string& group_id, const std::string& device_id) {
  Q("INSERT INTO group_devices VALUES (" + group_id + ", '" + device_id + "', 'manual')");
}

std::string PayloadOf(const ReceivedCommand& c) { return plist::GetData(c.command.get(), "Payload").value_or(""); }

}  // namespace

TEST_CASE("a parent group's profile reaches a child group's device; edits reinstall; unassigning removes", "[deploy]") {
  SimDevice d = Enrolled();
  std::string parent = Group("school"), child = Group("class-5a", "school");
  Join(child, d.udid());
  std::string p = AddProfile("com.example.wifi", ProfileXml("com.example.wifi", "v1"));
  Q("INSERT INTO group_profiles VALUES (" + parent + ", " + p + ")");

  Cron();
  auto got = Drain(d);
  auto types = Types(got);
  REQUIRE(Has(types, "InstallProfile"));
  CHECK(Has(types, "DeviceInformation"));
  for (auto& c : got)
    if (c.request_type == "InstallProfile") CHECK_THAT(PayloadOf(c), Catch::Contains("<string>v1</string>"));

  // Nothing changed: nothing queued.
  Cron();
  std::string again = Cron();
  CHECK_THAT(again, Catch::Contains("mdmcron reconcile: 0 queued"));
  CHECK(Drain(d).empty());
  CHECK(Q("SELECT status FROM device_deployments WHERE device_id = '" + d.udid() + "' AND kind = 'profile'") ==
        "installed");

  // An edit keeps the identifier: the new version is installed, never removed first.
  AddProfile("com.example.wifi", ProfileXml("com.example.wifi", "v2"));
  Cron();
  auto edit = Drain(d);
  REQUIRE(Types(edit) == std::vector<std::string>{"InstallProfile"});
  CHECK_THAT(PayloadOf(edit[0]), Catch::Contains("<string>v2</string>"));

  // Unassigned: removed, by identifier.
  Q("DELETE FROM group_profiles WHERE profile_id = " + p);
  Cron();
  auto removal = Drain(d);
  REQUIRE(Types(removal) == std::vector<std::string>{"RemoveProfile"});
  CHECK(plist::GetString(removal[0].command.get(), "Identifier") == "com.example.wifi");
  Cron();
  CHECK(Q("SELECT count(*) FROM device_deployments WHERE device_id = '" + d.udid() + "'") == "0");
  CHECK(Drain(d).empty());
}

TEST_CASE("the device's answer settles its deployment at once, before the next mdmcron", "[deploy]") {
  SimDevice d = Enrolled();
  std::string g = Group("settle-now");
  Join(g, d.udid());
  std::string ok = AddProfile("com.example.settle.ok", ProfileXml("com.example.settle.ok", "v1"));
  std::string bad = AddProfile("com.example.settle.bad", ProfileXml("com.example.settle.bad", "v1"));
  Q("INSERT INTO group_profiles VALUES (" + g + ", " + ok + "), (" + g + ", " + bad + ")");
  Cron();
  auto status = [&](const std::string& id) {
    return Q("SELECT status || coalesce(' ' || detail, '') FROM device_deployments WHERE device_id = '" + d.udid() +
             "' AND identifier = '" + id + "'");
  };
  CHECK(status("com.example.settle.ok") == "pending");
  // The device answers: the good profile Acknowledged, the other Error with its ErrorChain.
  auto c = ParseCommand(d.Idle());
  while (c) {
    std::optional<ReceivedCommand> next;
    bool failing = c->request_type == "InstallProfile" && PayloadOf(*c).find("settle.bad") != std::string::npos;
    if (failing) {
      plist::Owned extra(plist_new_dict());
      plist_t chain = plist_new_array();
      plist_t entry = plist_new_dict();
      plist::SetString(entry, "ErrorDomain", "MCProfileErrorDomain");
      plist::SetInt(entry, "ErrorCode", 1009);
      plist::SetString(entry, "LocalizedDescription", "The profile is not valid.");
      plist_array_append_item(chain, entry);
      plist::Set(extra.get(), "ErrorChain", chain);
      next = ParseCommand(d.Report("Error", c->command_uuid, extra.get()));
    } else {
      next = ParseCommand(d.Answer(*c));
    }
    c = std::move(next);
  }
  // No mdmcron in between: the views agree with the device already.
  CHECK(status("com.example.settle.ok") == "installed");
  CHECK(status("com.example.settle.bad") == "failed Error: The profile is not valid.");
  auto show = SharedStack().Console({"device", "show", d.udid()});
  std::string line = show.output.substr(show.output.find("com.example.settle.ok"));
  line = line.substr(0, line.find('\n'));
  CHECK_THAT(line, Catch::Contains("installed"));
  // Unassigned and removed: the acknowledged removal takes the row away at once too.
  Q("DELETE FROM group_profiles WHERE profile_id = " + ok);
  Cron();
  CHECK(status("com.example.settle.ok") == "removing");
  Drain(d);
  CHECK(status("com.example.settle.ok").empty());
}

TEST_CASE("a placeholder profile is held back for a device without the parameter, then filled", "[deploy]") {
  SimDevice d = Enrolled();
  std::string g = Group("kiosks");
  Join(g, d.udid());
  std::string p = AddProfile("com.example.asset", ProfileXml("com.example.asset", "tag $$asset_tag$$ &amp; more"),
                             "{asset_tag}");
  Q("INSERT INTO group_profiles VALUES (" + g + ", " + p + ")");
  std::string out = Cron();
  CHECK_THAT(out, Catch::Contains("held back: " + d.udid() + ": com.example.asset (missing $$asset_tag$$)"));
  auto first = Drain(d);
  CHECK_FALSE(Has(Types(first), "InstallProfile"));
  CHECK(Q("SELECT status FROM device_deployments WHERE device_id = '" + d.udid() + "'") == "held");

  Q("INSERT INTO device_params VALUES ('" + d.udid() + "', 'asset_tag', 'A<42>')");
  Cron();
  auto got = Drain(d);
  REQUIRE(Types(got) == std::vector<std::string>{"InstallProfile"});
  CHECK_THAT(PayloadOf(got[0]), Catch::Contains("tag A&lt;42&gt; &amp; more"));
  CHECK(plist::ParseDict(PayloadOf(got[0])).ok());
}

TEST_CASE("apps install and, once unassigned, are removed", "[deploy]") {
  SimDevice d = Enrolled();
  std::string g = Group("sales");
  Join(g, d.udid());
  std::string app = Q("INSERT INTO apps (identifier, itunes_store_id) VALUES ('com.example.crm', 123456) RETURNING id");
  Q("INSERT INTO group_apps VALUES (" + g + ", " + app + ")");
  Cron();
  auto got = Drain(d);
  bool seen = false;
  for (auto& c : got)
    if (c.request_type == "InstallApplication") {
      seen = true;
      CHECK(plist::GetInt(c.command.get(), "iTunesStoreID") == 123456);
      CHECK(plist::GetInt(c.command.get(), "ManagementFlags") == 1);
    }
  CHECK(seen);
  Q("DELETE FROM group_apps WHERE app_id = " + app);
  Cron();
  auto removal = Drain(d);
  REQUIRE(Types(removal) == std::vector<std::string>{"RemoveApplication"});
  CHECK(plist::GetString(removal[0].command.get(), "Identifier") == "com.example.crm");
}

TEST_CASE("a declaration change reaches the device through DeclarativeManagement", "[deploy]") {
  SimDevice d = Enrolled();
  std::string g = Group("ddm");
  Join(g, d.udid());
  Cron();
  Drain(d);
  Q("INSERT INTO declarations (identifier, type, payload, server_token) VALUES ('com.example.pass', "
    "'com.apple.configuration.passcode.settings', '{\"MinimumLength\": 6}', 'tok1')");
  Q("INSERT INTO group_declarations VALUES (" + g + ", 'com.example.pass')");
  Cron();
  auto got = Drain(d);
  REQUIRE(Types(got) == std::vector<std::string>{"DeclarativeManagement"});
  plist::Owned ep(plist_new_dict());
  plist::SetString(ep.get(), "Endpoint", "declaration-items");
  rapidjson::Document doc;
  doc.Parse(d.Checkin("DeclarativeManagement", ep.get()).body.c_str());
  REQUIRE(doc.IsObject());
  REQUIRE(doc["Declarations"]["Configurations"].Size() == 1);
  CHECK(std::string(doc["Declarations"]["Configurations"][0]["ServerToken"].GetString()) == "tok1");
  // Nothing new: no second notification. A changed declaration: one more.
  Cron();
  CHECK(Drain(d).empty());
  Q("UPDATE declarations SET payload = '{\"MinimumLength\": 8}', server_token = 'tok2' WHERE identifier = 'com.example.pass'");
  Cron();
  CHECK(Types(Drain(d)) == std::vector<std::string>{"DeclarativeManagement"});
}

TEST_CASE("an ADE device awaiting configuration gets DeviceConfigured after its profiles, not before", "[deploy]") {
  SimDevice d = Enrolled(/*awaiting_configuration=*/true);
  std::string g = Group("ade");
  Join(g, d.udid());
  std::string p = AddProfile("com.example.ade", ProfileXml("com.example.ade", "initial"));
  Q("INSERT INTO group_profiles VALUES (" + g + ", " + p + ")");
  Cron();
  // The first answers: the profile, not yet DeviceConfigured.
  auto first = ParseCommand(d.Idle());
  std::vector<std::string> before;
  while (first) {
    before.push_back(first->request_type);
    if (first->request_type == "InstallProfile") {
      // Not answered yet: mdmcron must wait for it.
      Cron();
      first = ParseCommand(d.Answer(*first, "NotNow"));
      continue;
    }
    first = ParseCommand(d.Answer(*first));
  }
  CHECK_FALSE(Has(before, "DeviceConfigured"));
  Cron();
  auto rest = Drain(d);  // the deferred InstallProfile comes again; acknowledged now
  CHECK(Has(Types(rest), "InstallProfile"));
  CHECK_FALSE(Has(Types(rest), "DeviceConfigured"));
  Cron();
  CHECK(Types(Drain(d)) == std::vector<std::string>{"DeviceConfigured"});
  Cron();
  CHECK(Drain(d).empty());
}

TEST_CASE("rule groups take devices by model and OS version", "[deploy]") {
  SimDevice d = Enrolled();
  Cron();
  Drain(d);  // inventory: ModelName iPhone, OSVersion 17.4.1
  std::string g = Q("INSERT INTO groups (name, rule) VALUES ('iphones-17', "
                    "'{\"model\": \"iPhone%\", \"os_min\": \"17.0\", \"os_max\": \"17.9\"}') RETURNING id");
  Q("INSERT INTO groups (name, rule) VALUES ('old', '{\"os_max\": \"16.9\"}')");
  auto out = Cron();
  CHECK(Q("SELECT count(*) FROM group_devices WHERE group_id = " + g + " AND device_id = '" + d.udid() + "'") == "1");
  CHECK(Q("SELECT count(*) FROM group_devices gd JOIN groups g ON g.id = gd.group_id WHERE g.name = 'old' "
          "AND gd.device_id = '" + d.udid() + "'") == "0");
  Q("UPDATE groups SET rule = '{\"model\": \"iPad%\"}' WHERE id = " + g);
  Cron();
  CHECK(Q("SELECT count(*) FROM group_devices WHERE group_id = " + g + " AND device_id = '" + d.udid() + "'") == "0");
}

TEST_CASE("/parameters fills a template from the asking device's own parameters", "[deploy]") {
  SimDevice a = Enrolled(), b = Enrolled();
  Q("INSERT INTO device_params VALUES ('" + a.udid() + "', 'user', 'anna \"A\"'), ('" + b.udid() + "', 'user', 'bob')");
  std::string format = "%7B%22UserName%22%3A%22%24%24user%24%24%22%7D";  // {"UserName":"$$user$$"}
  auto ra = a.GetSigned("/parameters?format=" + format);
  INFO(ra.body);
  REQUIRE(ra.status == 200);
  CHECK(ra.headers["content-type"] == "application/json");
  CHECK(ra.body == "{\"UserName\":\"anna \\\"A\\\"\"}");
  CHECK(b.GetSigned("/parameters?format=" + format).body == "{\"UserName\":\"bob\"}");
  // A parameter the device lacks: refused, not half-filled. No identity: refused.
  CHECK(a.GetSigned("/parameters?format=%7B%22x%22%3A%22%24%24nope%24%24%22%7D").status == 400);
  mdm::test::HttpClient anonymous(SharedStack().tls_cert());
  CHECK(anonymous.Request("GET", SharedStack().base_url() + "/parameters?format=" + format, "").status == 400);
}

TEST_CASE("console: the operator's verbs drive the whole loop", "[deploy][console]") {
  auto ok = [](const std::vector<std::string>& args) {
    auto r = SharedStack().Console(args);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    return r.output;
  };
  auto file = [](const std::string& name, const std::string& data) {
    std::string path = SharedStack().root() + "/" + name;
    mdm::test::WriteFile(path, data);
    return path;
  };
  SimDevice d = Enrolled();
  ok({"group", "create", "district"});
  ok({"group", "create", "room-12", "--parent", "district"});
  ok({"group", "add-devices", "room-12", d.udid()});
  ok({"profile", "add", file("vpn.mobileconfig", ProfileXml("com.example.vpn", "vpn-v1"))});
  ok({"profile", "assign", "com.example.vpn", "district"});
  ok({"device", "set-param", d.udid(), "room", "12"});
  ok({"declaration", "add", file("decl.json", "{\"Type\": \"com.apple.configuration.passcode.settings\", "
                                              "\"Identifier\": \"com.example.pin\", \"Payload\": {\"MinimumLength\": 4}}")});
  ok({"declaration", "assign", "com.example.pin", "district"});
  Cron();
  auto got = Types(Drain(d));
  CHECK(Has(got, "InstallProfile"));
  CHECK(Has(got, "DeclarativeManagement"));

  ok({"profile", "add", file("vpn2.mobileconfig", ProfileXml("com.example.vpn", "vpn-v2"))});
  Cron();
  auto edit = Drain(d);
  REQUIRE(Types(edit) == std::vector<std::string>{"InstallProfile"});
  CHECK_THAT(PayloadOf(edit[0]), Catch::Contains("vpn-v2"));

  ok({"profile", "unassign", "com.example.vpn", "district"});
  Cron();
  CHECK(Types(Drain(d)) == std::vector<std::string>{"RemoveProfile"});
  auto show = ok({"device", "show", d.udid()});
  CHECK_THAT(show, Catch::Contains("Deployed by groups") && Catch::Contains("room"));
}
