// mdm-console import oco against a real MariaDB in OCO's schema, filled by the test with a fleet
// whose identities come from the test's own "OCO" device CA: devices that never enrolled here
// check in, get commands and pushes with what OCO knew of them, and bind on first contact.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "crypto/crypto.h"
#include "fake_apns.h"
#include "maria_server.h"
#include "sim_device.h"
#include "stack.h"
#include "store/settings.h"
#include "test_pki.h"

using mdm::test::FakeApns;
using mdm::test::MariaServer;
using mdm::test::ParseCommand;
using mdm::test::SharedStack;
using mdm::test::SimDevice;
using mdm::test::Stack;
namespace crypto = mdm::crypto;
namespace setting = mdm::store::setting;

namespace {

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

std::string Lit(const std::string& s) { return mdm::test::MariaServer::Literal(s); }


std::string ProfileXml(const std::string& identifier, const std::string& name) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict>"
         "<key>PayloadType</key><string>Configuration</string>"
         "<key>PayloadIdentifier</key><string>" + identifier + "</string>"
         "<key>PayloadUUID</key><string>" + crypto::NewUuid() + "</string>"
         "<key>PayloadVersion</key><integer>1</integer>"
         "<key>PayloadDisplayName</key><string>" + name + "</string>"
         "<key>PayloadContent</key><array/></dict></plist>";
}

crypto::Cert Issue(const mdm::test::TestPki& pki, EVP_PKEY* key, const std::string& cn) {
  crypto::CertRequest r;
  r.common_name = cn;
  r.client_auth = true;
  return crypto::Issue(pki.ca.get(), pki.ca_key.get(), key, r).value();
}

std::string Pem(EVP_PKEY* k) { return crypto::KeyToPem(k); }
std::string Pem(X509* c) { return crypto::CertToPem(c); }

// The "OCO server": its database, its device CA, and two devices it enrolled.
struct Oco {
  MariaServer db{SharedStack().root()};
  FakeApns apns{Stack::kTopic};
  mdm::test::TestPki device_ca{"OCO Device CA", "unused"};
  mdm::test::TestPki vendor{"Apple WWDR test", "MDM Vendor: Example"};
  mdm::test::TestPki token_pair{"sandbox.sieber.systems", "unused"};
  crypto::Pkey key_a = crypto::GenerateRsaKey(), key_b = crypto::GenerateRsaKey();
  std::string base = SharedStack().base_url();
  SimDevice a{base, SharedStack().tls_cert(), Issue(device_ca, key_a.get(), "oco device a"), Dup(key_a)};
  SimDevice b{base, SharedStack().tls_cert(), Issue(device_ca, key_b.get(), "oco device b"), Dup(key_b)};

  Oco() {
    auto& s = SharedStack();
    std::string ca = s.root() + "/oco-apns-ca.pem";
    mdm::test::WriteFile(ca, mdm::test::ReadFile(apns.ca_file()));
    s.SetSetting(setting::kApnsUrl, apns.url());
    s.SetSetting(setting::kApnsCaFile, ca);
    db.ExecFile(std::string(MDM_SOURCE_DIR) + "/tests/fixtures/oco/schema.sql");
    Fill();
    setenv("MDM_OCO_MYSQL_PASSWORD", "reader-pass-1", 1);
  }

  static crypto::Pkey Dup(const crypto::Pkey& k) { return crypto::KeyFromPem(crypto::KeyToPem(k.get())).value(); }

  void Setting(const std::string& key, const std::string& value) {
    db.Exec("INSERT INTO setting (`key`, `value`) VALUES (" + Lit(key) + ", " + Lit(value) + ") "
            "ON DUPLICATE KEY UPDATE `value` = VALUES(`value`)");
  }

  void Device(int id, const SimDevice& d, const std::string& name, bool from_abm) {
    std::string info = R"({"DeviceName":")" + name + R"(","OSVersion":"17.4","BuildVersion":"21E219",)"
                       R"("ProductName":"iPad13,1","Model":"MK2K3","ModelName":"iPad","SerialNumber":")" +
                       d.serial() + R"(","IsSupervised":true})";
    db.Exec("INSERT INTO mobile_device (id, udid, device_name, serial, vendor_description, model, os, device_family, "
            "color, profile_uuid, push_token, push_magic, unlock_token, info, parameters, notes, last_update) VALUES (" +
            std::to_string(id) + ", " + Lit(d.udid()) + ", " + Lit(name) + ", " + Lit(d.serial()) + ", " +
            Lit(from_abm ? "IPAD WI-FI 64GB" : "") + ", 'iPad13,1', 'iOS 17.4', 'iPad', '', " +
            (from_abm ? "'9A8B7C6D5E4F'" : "NULL") + ", UNHEX('" + crypto::Hex(d.token()) + "'), " +
            Lit(d.push_magic()) + ", 'unlock-bytes', " + Lit(info) + ", " +
            Lit(R"({"room":")" + name.substr(name.size() - 1) + R"(","bad name!":"x"})") + ", '', '2026-11-30 08:00:00')");
  }

  void Fill() {
    Setting("apple-mdm-api-url", SharedStack().base_url());
    Setting("apple-mdm-apn-cert", apns.client_cert_pem());
    Setting("apple-mdm-apn-key", apns.client_key_pem());
    Setting("apple-mdm-vendor-cert", Pem(vendor.cert.get()));
    Setting("apple-mdm-vendor-key", Pem(vendor.key.get()));
    Setting("apple-mdm-token-cert", Pem(token_pair.ca.get()));
    Setting("apple-mdm-token-key", Pem(token_pair.ca_key.get()));
    Setting("apple-mdm-token", R"({"consumer_key":"CK_oco","consumer_secret":"CS_x","access_token":"AT_x",)"
                               R"("access_secret":"AS_x","access_token_expiry":"2030-01-01T00:00:00Z"})");
    Setting("apple-mdm-activation-profile", R"({"profile_name":"OCO","url":")" + SharedStack().base_url() +
                                                R"(/profile","is_supervised":true})");
    Setting("apple-mdm-deviceca-cert", Pem(device_ca.ca.get()));
    Setting("apple-mdm-deviceca-key", Pem(device_ca.ca_key.get()));
    Setting("apple-vpp-token", R"({"token":"c2VjcmV0","expDate":"2030-01-01T00:00:00+0000","orgName":"Example"})");
    Device(1, a, "Lab <b>iPad</b> A", true);
    Device(2, b, "Lab iPad B", false);
    // Known from ABM only; and one that never sent its TokenUpdate.
    db.Exec("INSERT INTO mobile_device (id, udid, device_name, serial, vendor_description, model, os, device_family, "
            "color, profile_uuid, notes) VALUES (3, NULL, '', 'ABMONLY00001', 'IPHONE 15', 'iPhone15,4', '', "
            "'iPhone', 'BLACK', '9A8B7C6D5E4F', ''), (4, 'UDID-NO-TOKEN-4', '', 'NOTOKEN00004', '', 'iPhone15,4', "
            "'iOS 17.1', 'iPhone', '', NULL, ''), (5, 'android-google-id-5', 'Pixel', 'PIXEL00005', '', 'Pixel 8', "
            "'Android 14 AP2A', 'Android', '', NULL, '')");
    db.Exec("INSERT INTO mobile_device_group (id, parent_mobile_device_group_id, name) VALUES "
            "(1, NULL, 'School'), (2, 1, 'Class 1'), (3, NULL, 'Staff'), (4, 3, 'Class 1')");
    db.Exec("INSERT INTO mobile_device_group_member (mobile_device_id, mobile_device_group_id) VALUES (1, 2), (2, 2), (2, 3)");
    db.Exec("INSERT INTO profile (id, type, name, payload, notes) VALUES (1, 'ios', 'Wi-Fi', " +
            Lit(ProfileXml("org.example.oco.wifi", "OCO Wi-Fi")) + ", ''), (2, 'ios', 'broken', 'not a plist', ''), "
            "(3, 'android', 'Android policy', '{}', '')");
    db.Exec("INSERT INTO mobile_device_group_profile (mobile_device_group_id, profile_id) VALUES (2, 1), (3, 1)");
    db.Exec("INSERT INTO managed_app (id, type, identifier, store_id, name) VALUES "
            "(1, 'ios', 'com.example.notes', '1234567890', 'Notes'), (2, 'android', 'org.example.droid', NULL, 'Droid')");
    db.Exec("INSERT INTO mobile_device_group_managed_app (mobile_device_group_id, managed_app_id, install_type) "
            "VALUES (1, 1, 'install')");
  }

  std::string Mysql() const {
    return "host=127.0.0.1 port=" + std::to_string(db.port()) + " user=reader dbname=oco";
  }
};

Oco& TheOco() {
  static Oco oco;
  return oco;
}

// What a failed or dry run must leave as it was.
std::string Fingerprint() {
  return Q("SELECT (SELECT count(*) FROM devices) || '/' || (SELECT count(*) FROM groups) || '/' || "
           "(SELECT count(*) FROM profiles) || '/' || (SELECT count(*) FROM apps) || '/' || "
           "(SELECT count(*) FROM device_trust_cas) || '/' || (SELECT count(*) FROM dep_devices) || '/' || "
           "(SELECT count(*) FROM settings WHERE name IN ('apns.cert', 'vendor.cert', 'abm.token', 'api_url', "
           "'abm.activation_profile', 'abm.token_cert'))");
}

// An Idle until the workers have read the imported CA (they look again every few seconds when
// an identity they do not trust arrives).
mdm::test::HttpResponse IdleUntilTrusted(SimDevice& d) {
  mdm::test::HttpResponse r;
  for (int i = 0; i < 40; ++i) {
    r = d.Idle();
    if (r.status == 200) break;
    usleep(250 * 1000);
  }
  return r;
}

}  // namespace

TEST_CASE("import oco refuses a database that is not OCO's, or a push key that does not match, and changes nothing", "[oco]") {
  Oco& oco = TheOco();
  std::string before = Fingerprint();

  oco.db.Exec("RENAME TABLE mobile_device TO mobile_device_gone");
  auto r = SharedStack().Console({"import", "oco", "--mysql", oco.Mysql()});
  oco.db.Exec("RENAME TABLE mobile_device_gone TO mobile_device");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("OCO's database has no table `mobile_device`"));
  CHECK(Fingerprint() == before);

  oco.Setting("apple-mdm-apn-key", Pem(oco.vendor.key.get()));
  r = SharedStack().Console({"import", "oco", "--mysql", oco.Mysql()});
  oco.Setting("apple-mdm-apn-key", oco.apns.client_key_pem());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("OCO's push certificate: the key stored with the push certificate does not belong"));
  CHECK_THAT(r.output, Catch::Contains("nothing was imported"));
  CHECK(Fingerprint() == before);

  // A push certificate here for another topic: the devices of one or the other would be lost.
  SharedStack().SetSetting(setting::kPushTopic, "com.apple.mgmt.External.99999999-0000-0000-0000-000000000000");
  r = SharedStack().Console({"import", "oco", "--mysql", oco.Mysql()});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("pass --replace-push-cert"));
  CHECK(Fingerprint() == before);
  r = SharedStack().Console({"import", "oco", "--mysql", oco.Mysql(), "--replace-push-cert", "--dry-run"});
  CHECK(r.exit_code == 0);
  SharedStack().SetSetting(setting::kPushTopic, Stack::kTopic);
  CHECK(Fingerprint() == before);

  // A password on the command line is refused before anything is read.
  r = SharedStack().Console({"import", "oco", "--mysql", oco.Mysql() + " password=reader-pass-1"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("keep the password out of --mysql"));
  // A wrong password: the database's refusal, in a sentence.
  setenv("MDM_OCO_MYSQL_PASSWORD", "wrong", 1);
  r = SharedStack().Console({"import", "oco", "--mysql", oco.Mysql()});
  setenv("MDM_OCO_MYSQL_PASSWORD", "reader-pass-1", 1);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("cannot connect to OCO's database"));
  CHECK(Fingerprint() == before);
}

TEST_CASE("import oco --dry-run counts what it would bring and changes nothing", "[oco]") {
  Oco& oco = TheOco();
  std::string before = Fingerprint();
  auto r = SharedStack().Console({"import", "oco", "--mysql", oco.Mysql(), "--dry-run"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("dry run: nothing was changed"));
  CHECK_THAT(r.output, Catch::Matches("(.|\n)*devices +3 +2 +0 +1(.|\n)*"));
  CHECK_THAT(r.output, Catch::Contains("no push token or PushMagic"));
  CHECK(Fingerprint() == before);
}

TEST_CASE("import oco brings devices, groups, profiles, apps and keys; imported devices check in and bind once", "[oco]") {
  Oco& oco = TheOco();
  auto r = SharedStack().Console({"import", "oco", "--mysql", oco.Mysql()});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Matches("(.|\n)*devices +3 +2 +0 +1(.|\n)*"));
  CHECK_THAT(r.output, Catch::Contains("profile 'broken'"));
  CHECK_THAT(r.output, Catch::Contains("Apps and Books token: not imported"));

  // Devices with what OCO knew: push token, PushMagic, inventory, last seen; no binding yet.
  CHECK(Q("SELECT imported_from || ' ' || device_name || ' ' || os_version || ' ' || model_name FROM devices WHERE id = '" +
          oco.a.udid() + "'") == "oco Lab <b>iPad</b> A 17.4 iPad");
  CHECK(Q("SELECT status || ' ' || bind_on_contact || ' ' || (cert_sha256 IS NULL) || ' ' || encode(push_token, 'hex') "
          "|| ' ' || push_magic || ' ' || topic FROM enrollments WHERE id = '" + oco.a.udid() + "'") ==
        "enrolled true true " + crypto::Hex(oco.a.token()) + " " + oco.a.push_magic() + " " + Stack::kTopic);
  CHECK(Q("SELECT device_information ->> 'BuildVersion' FROM devices WHERE id = '" + oco.b.udid() + "'") == "21E219");
  CHECK(Q("SELECT count(*) FROM devices WHERE id IN ('UDID-NO-TOKEN-4', 'android-google-id-5')") == "0");
  CHECK_THAT(r.output, Catch::Contains("1 Android device(s) left in OCO"));
  CHECK(Q("SELECT value FROM device_params WHERE device_id = '" + oco.a.udid() + "' AND name = 'room'") == "A");
  CHECK(Q("SELECT count(*) FROM device_params") == "2");
  CHECK(Q("SELECT encode(unlock_token, 'escape') FROM enrollments WHERE id = '" + oco.b.udid() + "'") == "unlock-bytes");
  // Groups: the repeated name is written as its path; members; profile and app assignments.
  CHECK(Q("SELECT string_agg(name, ',' ORDER BY name) FROM groups") == "School,School/Class 1,Staff,Staff/Class 1");
  CHECK(Q("SELECT count(*) FROM group_devices gd JOIN groups g ON g.id = gd.group_id WHERE g.name = 'School/Class 1'") == "2");
  CHECK(Q("SELECT string_agg(g.name, ',' ORDER BY g.name) FROM group_profiles gp JOIN groups g ON g.id = gp.group_id "
          "JOIN profiles p ON p.id = gp.profile_id WHERE p.identifier = 'org.example.oco.wifi'") == "School/Class 1,Staff");
  CHECK(Q("SELECT a.itunes_store_id || ' ' || g.name FROM group_apps ga JOIN apps a ON a.id = ga.app_id "
          "JOIN groups g ON g.id = ga.group_id") == "1234567890 School");
  CHECK(Q("SELECT count(*) FROM apps WHERE identifier = 'org.example.droid'") == "0");
  // Keys and settings, each checked; ABM records; OCO's device CA trusted.
  CHECK(Q("SELECT value FROM settings WHERE name = 'apns.topic'") == Stack::kTopic);
  CHECK(Q("SELECT value = $$" + oco.apns.client_cert_pem() + "$$ FROM settings WHERE name = 'apns.cert'") == "t");
  CHECK(Q("SELECT value::jsonb ->> 'consumer_key' FROM settings WHERE name = 'abm.token'") == "CK_oco");
  CHECK(Q("SELECT count(*) FROM dep_devices WHERE serial_number IN ('ABMONLY00001', '" + oco.a.serial() + "')") == "2");
  CHECK(Q("SELECT source FROM device_trust_cas") == "oco");

  // Device A never enrolled here: its first signed Idle, with OCO's identity, binds it.
  auto idle = IdleUntilTrusted(oco.a);
  REQUIRE(idle.status == 200);
  CHECK(Q("SELECT encode(cert_sha256, 'hex') || ' ' || bind_on_contact FROM enrollments WHERE id = '" + oco.a.udid() + "'") ==
        crypto::Hex(oco.a.cert_sha256()) + " false");
  // A command reaches it, woken by a push with the token and PushMagic OCO knew.
  auto sent = SharedStack().Console({"command", "send", oco.a.udid(), "DeviceLock"});
  INFO(sent.output);
  REQUIRE(sent.exit_code == 0);
  bool pushed = false;
  for (auto& p : oco.apns.Pushes())
    pushed |= p.token == crypto::Hex(oco.a.token()) && p.mdm == oco.a.push_magic() && p.status == 200;
  CHECK(pushed);
  auto cmd = ParseCommand(oco.a.Idle());
  REQUIRE(cmd);
  CHECK(cmd->request_type == "DeviceLock");
  CHECK(oco.a.Answer(*cmd).status == 200);
  CHECK(Q("SELECT status FROM command_queue WHERE command_uuid = '" + cmd->command_uuid + "'") == "Acknowledged");

  // Device B's identity (also OCO's) cannot act as A now that A is bound...
  SimDevice& b = oco.b;
  std::string b_udid = b.udid();
  b.ClaimUdid(oco.a.udid());
  CHECK(b.Idle().status == 400);
  b.ClaimUdid(b_udid);
  // ...and binds to B itself with its first message, a TokenUpdate this time.
  CHECK(b.TokenUpdate(Stack::kTopic).status == 200);
  CHECK(Q("SELECT encode(cert_sha256, 'hex') FROM enrollments WHERE id = '" + b_udid + "'") == crypto::Hex(b.cert_sha256()));
  // OCO's CA vouches for the devices imported with it, not for new enrollments.
  crypto::Pkey key_c = crypto::GenerateRsaKey();
  SimDevice c(oco.base, SharedStack().tls_cert(), Issue(oco.device_ca, key_c.get(), "oco device c"), Oco::Dup(key_c));
  auto refused = c.Authenticate(Stack::kTopic);
  CHECK(refused.status == 400);
  CHECK(Q("SELECT count(*) FROM devices WHERE id = '" + c.udid() + "'") == "0");
  // A's identity cannot then take B either.
  std::string a_udid = oco.a.udid();
  oco.a.ClaimUdid(b_udid);
  CHECK(oco.a.Idle().status == 400);
  oco.a.ClaimUdid(a_udid);
}

TEST_CASE("a second import oco adds nothing twice", "[oco]") {
  Oco& oco = TheOco();
  std::string before = Fingerprint();
  std::string members = Q("SELECT count(*) FROM group_devices");
  auto r = SharedStack().Console({"import", "oco", "--mysql", oco.Mysql()});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Matches("(.|\n)*devices +3 +0 +2 +1(.|\n)*"));
  CHECK(Fingerprint() == before);
  CHECK(Q("SELECT count(*) FROM group_devices") == members);
  // The bindings made on first contact stay.
  CHECK(Q("SELECT count(*) FROM enrollments WHERE bind_on_contact") == "0");
}
