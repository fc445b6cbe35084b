// The device protocol through nginx against a real PostgreSQL, spoken by simulated devices that
// sign every request like real ones.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <sstream>

#include "service/commands.h"
#include "sim_device.h"
#include "console_checks.h"
#include "stack.h"

using mdm::test::ParseCommand;
using mdm::test::SharedStack;
using mdm::test::SimDevice;
using mdm::test::Stack;

namespace {

SimDevice NewDevice() {
  auto& s = SharedStack();
  static mdm::enroll::DeviceCa ca = s.DeviceCa();
  return SimDevice(s.base_url(), s.tls_cert(), ca);
}

// A device that has done Authenticate and TokenUpdate.
SimDevice EnrolledDevice() {
  SimDevice d = NewDevice();
  auto a = d.Authenticate(Stack::kTopic);
  INFO(a.body);
  REQUIRE(a.status == 200);
  auto t = d.TokenUpdate(Stack::kTopic);
  REQUIRE(t.status == 200);
  return d;
}

std::string Queue(const std::string& enrollment_id, const std::string& request_type,
                  const std::vector<std::string>& kv = {}) {
  std::vector<std::string> args = {enrollment_id, request_type};
  args.insert(args.end(), kv.begin(), kv.end());
  return mdm::test::QueueCommand(SharedStack(), args);
}

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

// Everything a refused request must leave untouched.
std::string Snapshot() {
  return Q("SELECT (SELECT count(*) FROM devices) || '/' || (SELECT count(*) FROM enrollments) || '/' || "
           "(SELECT coalesce(string_agg(id || status || coalesce(encode(push_token, 'hex'), '') || "
           "  coalesce(encode(cert_sha256, 'hex'), '') || coalesce(encode(bootstrap_token, 'hex'), ''), ',' ORDER BY id), '') "
           " FROM enrollments) || '/' || "
           "(SELECT coalesce(string_agg(enrollment_id || command_uuid || status || sent_count, ',' "
           "  ORDER BY enrollment_id, command_uuid), '') FROM command_queue) || '/' || "
           "(SELECT count(*) FROM declarative_status_reports)");
}

}  // namespace

TEST_CASE("enroll, then commands in order; NotNow waits for the next Idle; CheckOut ends it", "[protocol]") {
  SimDevice d = EnrolledDevice();
  CHECK(Q("SELECT status FROM enrollments WHERE id = '" + d.udid() + "'") == "enrolled");
  CHECK(Q("SELECT serial_number FROM devices WHERE id = '" + d.udid() + "'") == d.serial());

  auto idle = d.Idle();
  CHECK(idle.status == 200);
  CHECK(idle.body.empty());

  std::string c1 = Queue(d.udid(), "DeviceInformation", {"Queries=DeviceName,OSVersion"});
  std::string c2 = Queue(d.udid(), "ProfileList");
  auto r = d.Idle();
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/xml");
  auto got1 = ParseCommand(r);
  REQUIRE(got1);
  CHECK(got1->command_uuid == c1);
  CHECK(got1->request_type == "DeviceInformation");
  auto got2 = ParseCommand(d.Answer(*got1));
  REQUIRE(got2);
  CHECK(got2->command_uuid == c2);
  auto none = d.Answer(*got2);
  CHECK(none.status == 200);
  CHECK(none.body.empty());
  CHECK(Q("SELECT string_agg(status, ',' ORDER BY seq) FROM command_queue WHERE enrollment_id = '" + d.udid() + "'") ==
        "Acknowledged,Acknowledged");

  std::string c3 = Queue(d.udid(), "SecurityInfo");
  auto got3 = ParseCommand(d.Idle());
  REQUIRE(got3);
  CHECK(got3->command_uuid == c3);
  auto after_notnow = d.Answer(*got3, "NotNow");
  CHECK(after_notnow.status == 200);
  CHECK(after_notnow.body.empty());
  CHECK(Q("SELECT status FROM command_queue WHERE command_uuid = '" + c3 + "'") == "NotNow");
  auto again = ParseCommand(d.Idle());
  REQUIRE(again);
  CHECK(again->command_uuid == c3);
  CHECK(d.Answer(*again).body.empty());
  CHECK(Q("SELECT status FROM command_queue WHERE command_uuid = '" + c3 + "'") == "Acknowledged");

  CHECK(d.CheckOut().status == 200);
  CHECK(Q("SELECT status FROM enrollments WHERE id = '" + d.udid() + "'") == "checked-out");
  auto refused = SharedStack().Console({"command", "send", d.udid(), "DeviceInformation", "Queries=DeviceName"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains("not enrolled"));
  auto list = SharedStack().Console({"device", "list"});
  CHECK_THAT(list.output, Catch::Contains(d.udid()) && Catch::Contains("checked-out"));
  auto gone = d.Idle();
  CHECK(gone.status == 403);
  CHECK_THAT(gone.body, Catch::Contains("com.apple.unrecognized.device"));
}

TEST_CASE("priority comes before first-in-first-out; unknown CommandUUIDs are ignored", "[protocol]") {
  SimDevice d = EnrolledDevice();
  auto conn = SharedStack().Connect();
  auto make = [&](const char* type, int priority) {
    mdm::plist::Owned cmd(plist_new_dict());
    mdm::plist::SetString(cmd.get(), "RequestType", type);
    mdm::service::EnqueueOptions o;
    o.priority = priority;
    auto q = mdm::service::EnqueueCommand(*conn, cmd.get(), {d.udid()}, o);
    REQUIRE(q.ok());
    return q->command_uuid;
  };
  std::string low = make("ProfileList", 0);
  std::string high = make("SecurityInfo", 5);
  auto first = ParseCommand(d.Idle());
  REQUIRE(first);
  CHECK(first->command_uuid == high);
  // A report for a command the server never sent: logged, ignored, and the next one still comes.
  auto r = d.Report("Acknowledged", "00000000-0000-0000-0000-000000000000");
  auto next = ParseCommand(r);
  REQUIRE(next);
  CHECK(next->command_uuid == high);  // still pending: the stray report changed nothing
  auto second = ParseCommand(d.Answer(*next));
  REQUIRE(second);
  CHECK(second->command_uuid == low);
}

TEST_CASE("a device cannot speak for another; foreign, tampered and malformed requests get 400", "[protocol]") {
  SimDevice a = EnrolledDevice();
  SimDevice b = EnrolledDevice();
  std::string pending = Queue(a.udid(), "ProfileList");
  std::string before = Snapshot();

  SimDevice b_as_a = EnrolledDevice();
  std::string b_as_a_udid = b_as_a.udid();
  before = Snapshot();
  b_as_a.ClaimUdid(a.udid());
  CHECK(b_as_a.Idle().status == 400);
  CHECK(b_as_a.TokenUpdate(Stack::kTopic).status == 400);
  CHECK(b_as_a.Checkin("SetBootstrapToken").status == 400);
  CHECK(b_as_a.CheckOut().status == 400);
  CHECK(b_as_a.Report("Acknowledged", pending).status == 400);
  // Authenticate with a certificate that is bound to another device: refused too.
  CHECK(b_as_a.Authenticate(Stack::kTopic).status == 400);
  CHECK(Snapshot() == before);
  CHECK(Q("SELECT status || sent_count FROM command_queue WHERE command_uuid = '" + pending + "'") == "Pending0");

  // A certificate from a CA that is not ours.
  auto foreign_key = mdm::crypto::GenerateRsaKey();
  mdm::crypto::CertRequest req;
  req.common_name = "foreign";
  req.is_ca = true;
  auto foreign_ca = mdm::crypto::SelfSign(foreign_key.get(), req).value();
  mdm::enroll::DeviceCa other{std::move(foreign_ca), std::move(foreign_key)};
  SimDevice intruder(SharedStack().base_url(), SharedStack().tls_cert(), other);
  CHECK(intruder.Authenticate(Stack::kTopic).status == 400);
  intruder.ClaimUdid(a.udid());
  CHECK(intruder.Idle().status == 400);

  // A tampered body under a valid signature.
  std::string body = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>Status</key><string>Idle</string>"
                     "<key>UDID</key><string>" + a.udid() + "</string></dict></plist>";
  std::string sig = a.Signature(body);
  std::string tampered = body;
  tampered.replace(tampered.find("Idle"), 4, "Idl3");
  CHECK(a.SendRaw("/mdm", tampered, {{"Content-Type", "application/x-apple-aspen-mdm"}, {"Mdm-Signature", sig}}).status == 400);
  CHECK(a.SendRaw("/mdm", body, {{"Content-Type", "application/x-apple-aspen-mdm"}, {"Mdm-Signature", "!!!"}}).status == 400);
  CHECK(a.SendRaw("/mdm", body, {{"Content-Type", "application/x-apple-aspen-mdm"}}).status == 400);

  // Malformed plist, wrong Content-Type, unknown MessageType, missing UDID.
  CHECK(a.SendSigned("/checkin", "<plist><dict><key>MessageType</key>", "application/x-apple-aspen-mdm-checkin").status == 400);
  CHECK(a.SendSigned("/mdm", "not a plist at all", "application/x-apple-aspen-mdm").status == 400);
  std::string tu = "<plist version=\"1.0\"><dict><key>MessageType</key><string>TokenUpdate</string><key>UDID</key>"
                   "<string>" + a.udid() + "</string></dict></plist>";
  CHECK(a.SendSigned("/checkin", tu, "application/json").status == 400);
  CHECK(a.SendSigned("/checkin", tu, "application/x-apple-aspen-mdm").status == 400);
  CHECK(a.SendSigned("/mdm", body, "text/plain").status == 400);
  CHECK(a.Checkin("Reboot").status == 400);
  std::string no_udid = "<plist version=\"1.0\"><dict><key>MessageType</key><string>CheckOut</string></dict></plist>";
  CHECK(a.SendSigned("/checkin", no_udid, "application/x-apple-aspen-mdm-checkin").status == 400);
  std::string deep(200, '[');
  std::string nested;
  for (int i = 0; i < 200; ++i) nested += "<array>";
  CHECK(a.SendSigned("/mdm", "<plist version=\"1.0\">" + nested + "</plist>", "application/x-apple-aspen-mdm").status == 400);
  CHECK(Snapshot() == before);
  CHECK(b.Idle().status == 200);
}

TEST_CASE("a device the server does not know gets 403 ErrorUnrecognizedDevice", "[protocol]") {
  SimDevice d = NewDevice();  // a valid identity, never enrolled
  auto r = d.Idle();
  CHECK(r.status == 403);
  CHECK(r.headers["content-type"] == "application/json");
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["code"].GetString()) == "com.apple.unrecognized.device");
  CHECK(d.TokenUpdate(Stack::kTopic).status == 403);
  // Enrollment starts with Authenticate; the topic must be ours.
  CHECK(d.Authenticate("com.apple.mgmt.External.somebody-else").status == 400);
  CHECK(d.Authenticate(Stack::kTopic).status == 200);
  CHECK(d.Idle().status == 400);  // before its TokenUpdate
}

TEST_CASE("user channel, UserAuthenticate, bootstrap token, declarative management", "[protocol]") {
  SimDevice d = EnrolledDevice();
  const std::string user = "A1B2C3D4-0000-1111-2222-333344445555";
  CHECK(d.TokenUpdate(Stack::kTopic, user).status == 200);
  std::string user_enrollment = d.udid() + ":" + user;
  CHECK(Q("SELECT channel || '/' || status || '/' || device_id FROM enrollments WHERE id = '" + user_enrollment + "'") ==
        "user/enrolled/" + d.udid());
  std::string for_user = Queue(user_enrollment, "ProfileList");
  CHECK(d.Idle().body.empty());  // the device channel's queue is another queue
  auto got = ParseCommand(d.Idle(user));
  REQUIRE(got);
  CHECK(got->command_uuid == for_user);
  // Device-only commands are refused for the user channel.
  auto refused = SharedStack().Console({"command", "send", user_enrollment, "EraseDevice"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains("user channel"));

  CHECK(d.Checkin("UserAuthenticate", nullptr, user).status == 410);

  mdm::plist::Owned set(plist_new_dict());
  mdm::plist::SetData(set.get(), "BootstrapToken", std::string("\x00\x01secret-token\xff", 15));
  CHECK(d.Checkin("SetBootstrapToken", set.get()).status == 200);
  auto get = d.Checkin("GetBootstrapToken");
  REQUIRE(get.status == 200);
  auto token = mdm::plist::ParseDict(get.body);
  REQUIRE(token.ok());
  CHECK(mdm::plist::GetData(token->get(), "BootstrapToken") == std::string("\x00\x01secret-token\xff", 15));

  mdm::plist::Owned ep(plist_new_dict());
  mdm::plist::SetString(ep.get(), "Endpoint", "tokens");
  auto tokens = d.Checkin("DeclarativeManagement", ep.get());
  REQUIRE(tokens.status == 200);
  CHECK(tokens.headers["content-type"] == "application/json");
  rapidjson::Document doc;
  doc.Parse(tokens.body.c_str());
  REQUIRE(doc.IsObject());
  REQUIRE(doc.HasMember("SyncTokens"));
  std::string empty_token = doc["SyncTokens"]["DeclarationsToken"].GetString();
  CHECK(doc["SyncTokens"].HasMember("Timestamp"));

  // With a declaration assigned, the token changes and the items and the declaration are served.
  Q("INSERT INTO declarations (identifier, type, payload, server_token) VALUES ('com.example.passcode', "
    "'com.apple.configuration.passcode.settings', '{\"MinimumLength\": 6}', 'v1') ON CONFLICT DO NOTHING");
  Q("INSERT INTO enrollment_declarations VALUES ('" + d.udid() + "', 'com.example.passcode')");
  doc.Parse(d.Checkin("DeclarativeManagement", ep.get()).body.c_str());
  CHECK(std::string(doc["SyncTokens"]["DeclarationsToken"].GetString()) != empty_token);
  mdm::plist::SetString(ep.get(), "Endpoint", "declaration-items");
  doc.Parse(d.Checkin("DeclarativeManagement", ep.get()).body.c_str());
  REQUIRE(doc.IsObject());
  REQUIRE(doc["Declarations"]["Configurations"].Size() == 1);
  CHECK(std::string(doc["Declarations"]["Configurations"][0]["Identifier"].GetString()) == "com.example.passcode");
  CHECK(doc["Declarations"]["Activations"].Size() == 0);
  mdm::plist::SetString(ep.get(), "Endpoint", "declaration/configuration/com.example.passcode");
  doc.Parse(d.Checkin("DeclarativeManagement", ep.get()).body.c_str());
  REQUIRE(doc.IsObject());
  CHECK(doc["Payload"]["MinimumLength"].GetInt() == 6);
  mdm::plist::SetString(ep.get(), "Endpoint", "status");
  mdm::plist::SetData(ep.get(), "Data", "{\"StatusItems\": {\"device\": {\"identifier\": {\"udid\": \"x\"}}}}");
  CHECK(d.Checkin("DeclarativeManagement", ep.get()).status == 200);
  CHECK(Q("SELECT report->'StatusItems'->'device'->'identifier'->>'udid' FROM declarative_status_reports "
          "WHERE enrollment_id = '" + d.udid() + "'") == "x");
  mdm::plist::SetData(ep.get(), "Data", "not json");
  CHECK(d.Checkin("DeclarativeManagement", ep.get()).status == 400);

  auto gettoken = d.Checkin("GetToken");
  CHECK(gettoken.status == 400);
}

TEST_CASE("inventory results fill the device and replace earlier lists", "[protocol]") {
  SimDevice d = EnrolledDevice();
  d.info["DeviceName"] = "Anna's iPad";
  Queue(d.udid(), "DeviceInformation", {"Queries=DeviceName,OSVersion,SerialNumber"});
  Queue(d.udid(), "ProfileList");
  Queue(d.udid(), "InstalledApplicationList");
  Queue(d.udid(), "CertificateList");
  Queue(d.udid(), "SecurityInfo");
  auto cmd = ParseCommand(d.Idle());
  while (cmd) cmd = ParseCommand(d.Answer(*cmd));
  std::string where = " WHERE id = '" + d.udid() + "'";
  CHECK(Q("SELECT device_name FROM devices" + where) == "Anna's iPad");
  CHECK(Q("SELECT os_version || ' ' || build_version || ' ' || battery_level || ' ' || is_supervised FROM devices" +
          where) == "17.4.1 21E237 0.81 true");
  CHECK(Q("SELECT device_information->>'SerialNumber' FROM devices" + where) == d.serial());
  CHECK(Q("SELECT security_info->>'PasscodePresent' FROM devices" + where) == "true");
  std::string dev = " WHERE device_id = '" + d.udid() + "'";
  CHECK(Q("SELECT string_agg(payload_identifier, ',' ORDER BY 1) FROM device_profiles" + dev) ==
        "com.example.restrictions,com.example.wifi");
  CHECK(Q("SELECT string_agg(identifier, ',' ORDER BY 1) FROM device_apps" + dev) == "com.apple.Pages,com.example.app");
  CHECK(Q("SELECT count(*) FROM device_certificates" + dev + " AND is_identity") == "1");

  d.installed_profiles = {"com.example.vpn"};
  d.installed_apps = {};
  Queue(d.udid(), "ProfileList");
  Queue(d.udid(), "InstalledApplicationList");
  cmd = ParseCommand(d.Idle());
  while (cmd) cmd = ParseCommand(d.Answer(*cmd));
  CHECK(Q("SELECT string_agg(payload_identifier, ',') FROM device_profiles" + dev) == "com.example.vpn");
  CHECK(Q("SELECT count(*) FROM device_apps" + dev) == "0");

  // Errors keep their ErrorChain; the command is over.
  std::string failing = Queue(d.udid(), "ProfileList");
  auto f = ParseCommand(d.Idle());
  REQUIRE(f);
  d.Answer(*f, "Error");
  CHECK(Q("SELECT status || ' ' || (error_chain->0->>'ErrorCode') FROM command_queue WHERE command_uuid = '" + failing +
          "'") == "Error 12021");

  auto show = SharedStack().Console({"device", "show", d.udid()});
  CHECK(show.exit_code == 0);
  CHECK_THAT(show.output, Catch::Contains("Anna's iPad") && Catch::Contains("com.example.vpn") &&
                              Catch::Contains("Recent results"));
}

TEST_CASE("requests in binary plist and with character references are understood", "[protocol]") {
  SimDevice d = EnrolledDevice();
  mdm::plist::Owned m(plist_new_dict());
  mdm::plist::SetString(m.get(), "UDID", d.udid());
  mdm::plist::SetString(m.get(), "Status", "Idle");
  char* bin = nullptr;
  uint32_t len = 0;
  plist_to_bin(m.get(), &bin, &len);
  std::string body(bin, len);
  plist_to_bin_free(bin);
  CHECK(d.SendSigned("/mdm", body, "application/x-apple-aspen-mdm").status == 200);
  // POST is accepted like PUT, a charset parameter too, and no Content-Type at all on /mdm.
  std::string xml = mdm::plist::ToXml(m.get());
  CHECK(d.SendRaw("/mdm", xml, {{"Mdm-Signature", d.Signature(xml)}}).status == 200);

  std::string named = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>MessageType</key>"
                      "<string>Authenticate</string><key>UDID</key><string>" + d.udid() + "</string><key>Topic</key>"
                      "<string>" + std::string(Stack::kTopic) + "</string><key>DeviceName</key>"
                      "<string>Bob&#39;s &amp; Co&#x27;s iPhone</string></dict></plist>";
  CHECK(d.SendSigned("/checkin", named, "application/x-apple-aspen-mdm-checkin; charset=UTF-8").status == 200);
  CHECK(Q("SELECT device_name FROM devices WHERE id = '" + d.udid() + "'") == "Bob's & Co's iPhone");
}

TEST_CASE("the admin API needs its key, and queues one command for 1,000 enrollments at once", "[protocol][admin]") {
  auto& s = SharedStack();
  mdm::test::HttpClient http(s.tls_cert());
  const std::string url = s.base_url() + "/v1/commands";
  const std::string json_ct = "application/json";
  auto no_key = http.Request("POST", url, "{}", {{"Content-Type", json_ct}});
  CHECK(no_key.status == 401);
  auto wrong = http.Request("POST", url, "{}", {{"Content-Type", json_ct}, {"Authorization", "Bearer nope"}});
  CHECK(wrong.status == 401);
  CHECK(http.Request("GET", s.base_url() + "/v1/devices", "").status == 401);
  // A device identity is no admin key.
  SimDevice d = EnrolledDevice();
  CHECK(d.SendSigned("/v1/devices", "", "application/json").status == 401);

  // 1,000 enrolled devices, each with an identity of its own (sharing one key pair keeps it fast).
  auto ca = s.DeviceCa();
  auto shared_key = mdm::crypto::GenerateRsaKey();
  std::vector<SimDevice> fleet;
  fleet.reserve(1000);
  std::string values;
  for (int i = 0; i < 1000; ++i) {
    EVP_PKEY_up_ref(shared_key.get());
    mdm::crypto::Pkey key(shared_key.get());
    auto cert = mdm::enroll::IssueDeviceIdentity(ca, key.get(), "fleet " + std::to_string(i));
    fleet.emplace_back(s.base_url(), s.tls_cert(), std::move(cert), std::move(key));
    const auto& f = fleet.back();
    values += std::string(values.empty() ? "" : ",") + "('" + f.udid() + "', '" + Stack::kTopic + "', '" +
              mdm::crypto::Hex(f.cert_sha256()) + "')";
  }
  Q("WITH v(id, topic, h) AS (VALUES " + values + "), d AS (INSERT INTO devices (id, udid) SELECT id, id FROM v) "
    "INSERT INTO enrollments (id, device_id, channel, kind, topic, status, cert_sha256, push_token, push_magic) "
    "SELECT id, id, 'device', 'device', topic, 'enrolled', decode(h, 'hex'), '\\x00', 'magic' FROM v");
  std::string ids;
  for (const auto& f : fleet) ids += std::string(ids.empty() ? "" : ",") + "\"" + f.udid() + "\"";
  std::string key = "Bearer test-admin-key-0123456789";
  auto bad = http.Request("POST", url,
                          "{\"enrollment_ids\": [" + ids + "], \"request_type\": \"DeviceLock\", "
                          "\"parameters\": {\"Message\": 42}}",
                          {{"Content-Type", json_ct}, {"Authorization", key}});
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body, Catch::Contains("Message"));
  CHECK(Q("SELECT count(*) FROM commands WHERE request_type = 'DeviceLock'") == "0");

  auto ok = http.Request("POST", url,
                         "{\"enrollment_ids\": [" + ids + "], \"request_type\": \"DeviceLock\", "
                         "\"parameters\": {\"Message\": \"Lost? Call 555-0100\"}}",
                         {{"Content-Type", json_ct}, {"Authorization", key}});
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  rapidjson::Document doc;
  doc.Parse(ok.body.c_str());
  std::string uuid = doc["command_uuid"].GetString();
  CHECK(doc["enrollments"].GetInt() == 1000);
  for (auto& f : fleet) {
    auto got = ParseCommand(f.Idle());
    REQUIRE(got);
    CHECK(got->command_uuid == uuid);
    CHECK(mdm::plist::GetString(got->command.get(), "Message") == "Lost? Call 555-0100");
  }
  auto status = http.Request("GET", s.base_url() + "/v1/commands/" + uuid, "", {{"X-API-Key", "test-admin-key-0123456789"}});
  REQUIRE(status.status == 200);
  doc.Parse(status.body.c_str());
  CHECK(doc["enrollments"].Size() == 1000);
  CHECK(std::string(doc["enrollments"][0]["status"].GetString()) == "Pending");
  CHECK(doc["enrollments"][0]["sent_count"].GetInt() == 1);

  auto devices = http.Request("GET", s.base_url() + "/v1/devices/" + d.udid(), "", {{"Authorization", key}});
  CHECK(devices.status == 200);
  CHECK_THAT(devices.body, Catch::Contains(d.udid()));
  CHECK(http.Request("GET", s.base_url() + "/v1/devices/nope", "", {{"Authorization", key}}).status == 404);
  auto unknown = http.Request("POST", url, "{\"enrollment_ids\": [\"nope\"], \"request_type\": \"DeviceLock\"}",
                              {{"Content-Type", json_ct}, {"Authorization", key}});
  CHECK(unknown.status == 404);
}

TEST_CASE("the console checks commands against Apple's schema", "[protocol][console]") {
  SimDevice d = EnrolledDevice();
  auto& s = SharedStack();
  auto missing = s.Console({"command", "send", d.udid(), "InstallProfile"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("Payload"));
  auto badtype = s.Console({"command", "send", d.udid(), "DeviceLock", "PIN=abc", "Mesage=x"});
  CHECK(badtype.exit_code == 1);
  CHECK_THAT(badtype.output, Catch::Contains("Mesage"));
  auto unknown = s.Console({"command", "send", "no-such-device", "DeviceInformation", "Queries=DeviceName"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.output, Catch::Contains("no-such-device"));
  // --plist with --force queues what the schema would refuse.
  std::string file = s.root() + "/raw.plist";
  mdm::test::WriteFile(file, "<plist version=\"1.0\"><dict><key>RequestType</key><string>FutureCommand</string></dict></plist>");
  CHECK(s.Console({"command", "send", d.udid(), "--plist", file}).exit_code == 1);
  auto forced = s.Console({"command", "send", d.udid(), "--plist", file, "--force"});
  CHECK(forced.exit_code == 0);
  auto got = ParseCommand(d.Idle());
  REQUIRE(got);
  CHECK(got->request_type == "FutureCommand");
}

TEST_CASE("re-enrollment replaces the binding; an operator's removal makes the device unenroll", "[protocol]") {
  SimDevice first = EnrolledDevice();
  std::string pending = Queue(first.udid(), "ProfileList");
  // The same device enrolls again with a new identity from our CA (a new profile, say).
  SimDevice second = NewDevice();
  second.ClaimUdid(first.udid());
  CHECK(second.Authenticate(Stack::kTopic).status == 200);
  CHECK(second.TokenUpdate(Stack::kTopic).status == 200);
  CHECK(first.Idle().status == 400);  // the old certificate no longer speaks for it
  auto got = ParseCommand(second.Idle());
  REQUIRE(got);
  CHECK(got->command_uuid == pending);

  auto removed = SharedStack().Console({"device", "remove", first.udid()});
  INFO(removed.output);
  CHECK(removed.exit_code == 0);
  CHECK(Q("SELECT status FROM command_queue WHERE command_uuid = '" + pending + "'") == "Canceled");
  auto r = second.Idle();
  CHECK(r.status == 403);
  CHECK_THAT(r.body, Catch::Contains("com.apple.unrecognized.device"));
  CHECK(second.TokenUpdate(Stack::kTopic).status == 403);
  CHECK(SharedStack().Console({"device", "remove", "no-such-device"}).exit_code == 1);
}

TEST_CASE("with client_cert_sources = nginx, the TLS client certificate identifies the device", "[protocol][mtls]") {
  mdm::test::StackOptions opts;
  opts.extra_config = "client_cert_sources = nginx\n";
  Stack s(opts);
  auto ca = s.DeviceCa();
  SimDevice d(s.base_url(), s.tls_cert(), ca);
  d.UseTlsIdentity();
  CHECK(d.Authenticate(Stack::kTopic).status == 200);
  CHECK(d.TokenUpdate(Stack::kTopic).status == 200);
  CHECK(d.Idle().status == 200);
  // Signatures are not trusted in this configuration, and no certificate means no identity.
  SimDevice signer(s.base_url(), s.tls_cert(), ca);
  signer.ClaimUdid(d.udid());
  CHECK(signer.Idle().status == 400);
  // A client certificate from another CA is refused.
  auto key = mdm::crypto::GenerateRsaKey();
  mdm::crypto::CertRequest req;
  req.common_name = "foreign";
  auto foreign = mdm::crypto::SelfSign(key.get(), req).value();
  SimDevice intruder(s.base_url(), s.tls_cert(), std::move(foreign), std::move(key), d.udid());
  intruder.UseTlsIdentity();
  CHECK(intruder.Idle().status == 400);
  CHECK(s.Shutdown().empty());
}
