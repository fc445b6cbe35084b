// Benchmark (not a test): mdm-console import oco of a large OCO database in a private MariaDB:
// devices with push tokens, PushMagic, UnlockToken, a DeviceInformation answer (about 1.5 KB of
// JSON) and parameters, in groups with profiles. Prints the seconds of a dry run, the import
// and a second (idempotent) run.
//   oco_import_bench [--devices 20000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "crypto/crypto.h"
#include "maria_server.h"
#include "bench_console.h"
#include "stack.h"
#include "test_pki.h"

namespace {

namespace crypto = mdm::crypto;

std::string Lit(const std::string& s) { return mdm::test::MariaServer::Literal(s); }


using mdm::bench::Timed;

}  // namespace

int main(int argc, char** argv) {
  int devices = 20000;
  for (int i = 1; i + 1 < argc; i += 2)
    if (!std::strcmp(argv[i], "--devices")) devices = std::atoi(argv[i + 1]);
  mdm::test::Stack stack;
  mdm::test::MariaServer db(stack.root());
  db.ExecFile(std::string(MDM_SOURCE_DIR) + "/tests/fixtures/oco/schema.sql");

  // OCO's keys: a push certificate for the stack's topic, its device CA.
  crypto::Pkey push_key = crypto::GenerateRsaKey();
  crypto::CertRequest req;
  req.common_name = "APSP:bench";
  req.uid = mdm::test::Stack::kTopic;
  crypto::Cert push = crypto::SelfSign(push_key.get(), req).value();
  mdm::test::TestPki ca("OCO Device CA", "unused");
  std::string settings = "INSERT INTO setting (`key`, `value`) VALUES ('apple-mdm-api-url', " + Lit(stack.base_url()) +
                         "), ('apple-mdm-apn-cert', " + Lit(crypto::CertToPem(push.get())) +
                         "), ('apple-mdm-apn-key', " + Lit(crypto::KeyToPem(push_key.get())) +
                         "), ('apple-mdm-deviceca-cert', " + Lit(crypto::CertToPem(ca.ca.get())) + ")";
  db.Exec(settings);

  // The fleet, made by MariaDB itself: 40 groups, each device in one, 5 profiles on the groups.
  auto t0 = std::chrono::steady_clock::now();
  db.Exec("INSERT INTO mobile_device_group (id, parent_mobile_device_group_id, name) "
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) "
          "SELECT i, NULL, CONCAT('Class ', i) FROM n");
  std::string info =
      "CONCAT('{\"DeviceName\":\"iPad ', i, '\",\"SerialNumber\":\"SER', LPAD(i, 9, '0'), '\",\"UDID\":\"', "
      "LPAD(HEX(i), 40, '0'), '\",\"OSVersion\":\"17.4\",\"BuildVersion\":\"21E219\",\"ProductName\":\"iPad13,1\","
      "\"Model\":\"MK2K3\",\"ModelName\":\"iPad\",\"DeviceCapacity\":59.6,\"AvailableDeviceCapacity\":41.2,"
      "\"BatteryLevel\":0.87,\"CellularTechnology\":0,\"IsSupervised\":true,\"IsDeviceLocatorServiceEnabled\":false,"
      "\"IsActivationLockEnabled\":false,\"IsDoNotDisturbInEffect\":false,\"IsCloudBackupEnabled\":true,"
      "\"WiFiMAC\":\"a4:83:e7:', LPAD(HEX(i MOD 256), 2, '0'), ':10:20\",\"BluetoothMAC\":\"a4:83:e7:00:00:01\","
      "\"EthernetMACs\":[],\"Languages\":[\"de-DE\",\"en-US\"],\"Locales\":[\"de_DE\"],\"TimeZone\":\"Europe/Berlin\","
      "\"IsMDMLostModeEnabled\":false,\"IsMultiUser\":false,\"MaximumResidentUsers\":0,\"PersonalHotspotEnabled\":false,"
      "\"ModemFirmwareVersion\":\"\",\"SubscriberCarrierNetwork\":\"\",\"DataRoamingEnabled\":false,"
      "\"VoiceRoamingEnabled\":false,\"IsRoaming\":false,\"SystemIntegrityProtectionEnabled\":false,"
      "\"OSUpdateSettings\":{\"AutoCheckEnabled\":true,\"AutomaticOSInstallationEnabled\":false,"
      "\"AutomaticAppInstallationEnabled\":true,\"BackgroundDownloadEnabled\":true,\"CatalogURL\":\"\","
      "\"IsDefaultCatalog\":true,\"PerformPeriodicCheck\":true,\"PreviousScanDate\":\"2026-11-29T08:00:00Z\","
      "\"PreviousScanResult\":0},\"ServiceSubscriptions\":[],\"iTunesStoreAccountIsActive\":false,"
      "\"EASDeviceIdentifier\":\"EAS', i, '\",\"AwaitingConfiguration\":false}')";
  db.Exec("SET SESSION max_recursive_iterations = 100000000; "
          "INSERT INTO mobile_device (id, udid, device_name, serial, vendor_description, model, os, device_family, "
          "color, profile_uuid, push_token, push_magic, unlock_token, info, parameters, notes, last_update) "
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(devices) + ") "
          "SELECT i, LPAD(HEX(i), 40, '0'), CONCAT('iPad ', i), CONCAT('SER', LPAD(i, 9, '0')), 'IPAD WI-FI 64GB', "
          "'iPad13,1', 'iOS 17.4', 'iPad', 'SILVER', 'ABCDEF0123456789', UNHEX(SHA2(CONCAT('token', i), 256)), "
          "UUID(), RANDOM_BYTES(64), " + info + ", CONCAT('{\"room\":\"R', i MOD 300, '\",\"asset\":\"A', i, '\"}'), "
          "'', NOW() - INTERVAL (i MOD 90) DAY FROM n");
  db.Exec("INSERT INTO mobile_device_group_member (mobile_device_id, mobile_device_group_id) "
          "SELECT id, 1 + id MOD 40 FROM mobile_device");
  for (int p = 1; p <= 5; ++p) {
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict>"
                      "<key>PayloadType</key><string>Configuration</string>"
                      "<key>PayloadIdentifier</key><string>org.example.bench." + std::to_string(p) + "</string>"
                      "<key>PayloadUUID</key><string>" + crypto::NewUuid() + "</string>"
                      "<key>PayloadVersion</key><integer>1</integer>"
                      "<key>PayloadContent</key><array/></dict></plist>";
    db.Exec("INSERT INTO profile (id, name, payload, notes) VALUES (" + std::to_string(p) + ", 'p', " + Lit(xml) + ", '')");
    db.Exec("INSERT INTO mobile_device_group_profile (mobile_device_group_id, profile_id) "
            "SELECT id, " + std::to_string(p) + " FROM mobile_device_group WHERE id MOD 5 = " + std::to_string(p % 5));
  }
  double fill = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("OCO database filled: %d devices in %.1f s (%s bytes of info)\n", devices, fill,
              db.Query("SELECT SUM(LENGTH(info)) FROM mobile_device").c_str());

  setenv("MDM_OCO_MYSQL_PASSWORD", mdm::test::MariaServer::kReaderPassword, 1);
  std::string mysql = "host=127.0.0.1 port=" + std::to_string(db.port()) + " user=reader dbname=oco";
  auto dry = mdm::bench::TimedConsole(stack, {"import", "oco", "--mysql", mysql, "--dry-run"});
  auto real = mdm::bench::TimedConsole(stack, {"import", "oco", "--mysql", mysql});
  auto again = mdm::bench::TimedConsole(stack, {"import", "oco", "--mysql", mysql});
  std::printf("%s\n", real.output.c_str());
  std::string imported = stack.Query("SELECT count(*) FROM devices WHERE imported_from = 'oco'");
  std::printf("oco import: %d devices with inventory: dry run %.2f s, import %.2f s, second run %.2f s; "
              "%s devices here (%s)\n",
              devices, dry.seconds, real.seconds, again.seconds, imported.c_str(),
              mdm::bench::LineOf(again.output, "devices").c_str());
  return imported == std::to_string(devices) ? 0 : 1;
}
