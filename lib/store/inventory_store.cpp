#include "store/inventory_store.h"

#include "store/sql_util.h"

namespace mdm::store {
namespace {

std::string JsonOf(plist_t report, const char* key) {
  plist_t n = plist::Get(report, key);
  return n ? plist::ToJson(n) : std::string();
}

}  // namespace

void ApplyInventory(pqxx::transaction_base& tx, const std::string& device_id, const std::string& enrollment_id,
                    const std::string& request_type, plist_t report) {
  if (request_type == "DeviceInformation") {
    std::string j = JsonOf(report, "QueryResponses");
    if (j.empty()) return;
    Exec(tx, "inv_device_information",
         "UPDATE devices SET "
         "  device_name = coalesce($2::jsonb->>'DeviceName', device_name), "
         "  model = coalesce($2::jsonb->>'Model', model), "
         "  model_name = coalesce($2::jsonb->>'ModelName', model_name), "
         "  product_name = coalesce($2::jsonb->>'ProductName', product_name), "
         "  os_version = coalesce($2::jsonb->>'OSVersion', os_version), "
         "  build_version = coalesce($2::jsonb->>'BuildVersion', build_version), "
         "  serial_number = coalesce($2::jsonb->>'SerialNumber', serial_number), "
         "  imei = coalesce($2::jsonb->>'IMEI', imei), "
         "  meid = coalesce($2::jsonb->>'MEID', meid), "
         "  device_capacity = coalesce(CASE WHEN jsonb_typeof($2::jsonb->'DeviceCapacity') = 'number' THEN ($2::jsonb->>'DeviceCapacity')::double precision END, device_capacity), "
         "  available_capacity = coalesce(CASE WHEN jsonb_typeof($2::jsonb->'AvailableDeviceCapacity') = 'number' THEN ($2::jsonb->>'AvailableDeviceCapacity')::double precision END, "
         "    available_capacity), "
         "  battery_level = coalesce(CASE WHEN jsonb_typeof($2::jsonb->'BatteryLevel') = 'number' THEN ($2::jsonb->>'BatteryLevel')::double precision END, battery_level), "
         "  is_supervised = coalesce(CASE WHEN jsonb_typeof($2::jsonb->'IsSupervised') = 'boolean' "
         "    THEN ($2::jsonb->>'IsSupervised')::boolean END, is_supervised), "
         "  device_information = $2::jsonb, device_information_at = now(), updated_at = now() "
         "WHERE id = $1",
         device_id, j);
  } else if (request_type == "SecurityInfo") {
    std::string j = JsonOf(report, "SecurityInfo");
    if (j.empty()) return;
    Exec(tx, "inv_security_info",
         "UPDATE devices SET security_info = $2::jsonb, security_info_at = now(), updated_at = now() WHERE id = $1",
         device_id, j);
  } else if (request_type == "ProfileList") {
    std::string j = JsonOf(report, "ProfileList");
    if (j.empty()) j = "[]";
    Exec(tx, "inv_profiles_clear", "DELETE FROM device_profiles WHERE enrollment_id = $1", enrollment_id);
    Exec(tx, "inv_profiles_insert",
         "INSERT INTO device_profiles (device_id, enrollment_id, payload_identifier, payload_uuid, display_name, "
         "  is_managed, details) "
         "SELECT DISTINCT ON (p->>'PayloadIdentifier') $1, $2, p->>'PayloadIdentifier', p->>'PayloadUUID', "
         "  p->>'PayloadDisplayName', CASE WHEN jsonb_typeof(p->'IsManaged') = 'boolean' THEN (p->>'IsManaged')::boolean END, p "
         "FROM jsonb_array_elements($3::jsonb) AS p "
         "WHERE jsonb_typeof(p) = 'object' AND p->>'PayloadIdentifier' IS NOT NULL",
         device_id, enrollment_id, j);
  } else if (request_type == "InstalledApplicationList") {
    std::string j = JsonOf(report, "InstalledApplicationList");
    if (j.empty()) j = "[]";
    Exec(tx, "inv_apps_clear", "DELETE FROM device_apps WHERE enrollment_id = $1", enrollment_id);
    Exec(tx, "inv_apps_insert",
         "INSERT INTO device_apps (device_id, enrollment_id, identifier, name, version, short_version, details) "
         "SELECT DISTINCT ON (coalesce(a->>'Identifier', a->>'Name')) $1, $2, "
         "  coalesce(a->>'Identifier', a->>'Name'), a->>'Name', a->>'Version', a->>'ShortVersion', a "
         "FROM jsonb_array_elements($3::jsonb) AS a "
         "WHERE jsonb_typeof(a) = 'object' AND coalesce(a->>'Identifier', a->>'Name') IS NOT NULL",
         device_id, enrollment_id, j);
  } else if (request_type == "CertificateList") {
    std::string j = JsonOf(report, "CertificateList");
    if (j.empty()) j = "[]";
    Exec(tx, "inv_certs_clear", "DELETE FROM device_certificates WHERE enrollment_id = $1", enrollment_id);
    Exec(tx, "inv_certs_insert",
         "INSERT INTO device_certificates (device_id, enrollment_id, sha256, common_name, is_identity, data) "
         "SELECT DISTINCT ON (sha256(decode(c->>'Data', 'base64'))) $1, $2, sha256(decode(c->>'Data', 'base64')), "
         "  c->>'CommonName', CASE WHEN jsonb_typeof(c->'IsIdentity') = 'boolean' THEN (c->>'IsIdentity')::boolean END, decode(c->>'Data', 'base64') "
         "FROM jsonb_array_elements($3::jsonb) AS c "
         "WHERE jsonb_typeof(c) = 'object' AND jsonb_typeof(c->'Data') = 'string'",
         device_id, enrollment_id, j);
  }
}

}  // namespace mdm::store
