#include "store/enrollment_store.h"

#include "store/event_store.h"
#include "store/sql_util.h"

namespace mdm::store {

EnrollmentAuth LookupAuth(pqxx::transaction_base& tx, const protocol::EnrollmentRef& who) {
  auto r = Exec(tx, "enrollment_auth",
                "SELECT e.status, d.status, d.cert_sha256 "
                "FROM enrollments d LEFT JOIN enrollments e ON e.id = $1 "
                "WHERE d.id = $2",
                who.id, who.device_id);
  EnrollmentAuth a;
  if (r.empty()) return a;
  a.device_exists = true;
  a.device_status = r[0][1].as<std::string>();
  a.bound_sha256 = Bytes(r[0][2]);
  if (!r[0][0].is_null()) {
    a.exists = true;
    a.status = r[0][0].as<std::string>();
  }
  return a;
}

Status RecordAuthenticate(pqxx::transaction_base& tx, const protocol::EnrollmentRef& who,
                          const AuthenticateFields& f, const std::string& cert_sha256) {
  std::string hash_hex = *HexParam(cert_sha256);
  auto taken = Exec(tx, "cert_owner",
                    "SELECT id FROM enrollments WHERE channel = 'device' AND cert_sha256 = decode($1, 'hex') "
                    "AND id <> $2",
                    hash_hex, who.device_id);
  if (!taken.empty()) return Status::Conflict("the certificate is already bound to another device");
  Exec(tx, "device_upsert_auth",
       "INSERT INTO devices (id, udid, serial_number, product_name, model, model_name, device_name, os_version, "
       "  build_version, imei, meid) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
       "ON CONFLICT (id) DO UPDATE SET "
       "  udid = coalesce(EXCLUDED.udid, devices.udid), "
       "  serial_number = coalesce(EXCLUDED.serial_number, devices.serial_number), "
       "  product_name = coalesce(EXCLUDED.product_name, devices.product_name), "
       "  model = coalesce(EXCLUDED.model, devices.model), "
       "  model_name = coalesce(EXCLUDED.model_name, devices.model_name), "
       "  device_name = coalesce(EXCLUDED.device_name, devices.device_name), "
       "  os_version = coalesce(EXCLUDED.os_version, devices.os_version), "
       "  build_version = coalesce(EXCLUDED.build_version, devices.build_version), "
       "  imei = coalesce(EXCLUDED.imei, devices.imei), "
       "  meid = coalesce(EXCLUDED.meid, devices.meid), "
       "  updated_at = now()",
       who.device_id, Nullable(f.udid), Nullable(f.serial_number), Nullable(f.product_name), Nullable(f.model),
       Nullable(f.model_name), Nullable(f.device_name), Nullable(f.os_version), Nullable(f.build_version),
       Nullable(f.imei), Nullable(f.meid));
  // A new Authenticate starts the enrollment over: pending until its TokenUpdate, the new
  // certificate bound, the old push token forgotten.
  Exec(tx, "enrollment_upsert_auth",
       "INSERT INTO enrollments (id, device_id, channel, kind, topic, status, cert_sha256, authenticated_at, "
       "  last_seen_at) "
       "VALUES ($1, $1, 'device', $2, $3, 'pending', decode($4, 'hex'), now(), now()) "
       "ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, topic = EXCLUDED.topic, status = 'pending', "
       "  cert_sha256 = EXCLUDED.cert_sha256, bind_on_contact = false, push_token = NULL, push_magic = NULL, token_update_count = 0, "
       "  authenticated_at = now(), last_seen_at = now(), checked_out_at = NULL, updated_at = now()",
       who.device_id, who.kind, f.topic, hash_hex);
  // User channels of a re-enrolling device wait for their own TokenUpdate again.
  Exec(tx, "enrollment_reset_users",
       "UPDATE enrollments SET status = 'pending', updated_at = now() "
       "WHERE device_id = $1 AND channel = 'user' AND status = 'enrolled'",
       who.device_id);
  return Status::Ok();
}

int RecordTokenUpdate(pqxx::transaction_base& tx, const protocol::EnrollmentRef& who, const TokenUpdateFields& f) {
  auto r = Exec(tx, "enrollment_token_update",
                "INSERT INTO enrollments (id, device_id, channel, kind, user_id, user_short_name, user_long_name, "
                "  topic, status, push_token, push_magic, unlock_token, awaiting_configuration, "
                "  token_update_count, token_updated_at, last_seen_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'enrolled', decode($9, 'hex'), $10, decode($11, 'hex'), "
                "  $12, 1, now(), now()) "
                "ON CONFLICT (id) DO UPDATE SET status = 'enrolled', topic = EXCLUDED.topic, "
                "  push_token = EXCLUDED.push_token, push_magic = EXCLUDED.push_magic, "
                "  unlock_token = coalesce(EXCLUDED.unlock_token, enrollments.unlock_token), "
                "  awaiting_configuration = EXCLUDED.awaiting_configuration, "
                "  user_short_name = coalesce(EXCLUDED.user_short_name, enrollments.user_short_name), "
                "  user_long_name = coalesce(EXCLUDED.user_long_name, enrollments.user_long_name), "
                "  token_update_count = enrollments.token_update_count + 1, token_updated_at = now(), "
                "  push_token_invalid_at = NULL, "
                "  last_seen_at = now(), updated_at = now() "
                "RETURNING token_update_count",
                who.id, who.device_id, who.user_channel ? "user" : "device", who.kind,
                NullIfEmpty(who.user_id), NullIfEmpty(who.user_short_name), NullIfEmpty(who.user_long_name), f.topic,
                *HexParam(f.token), f.push_magic, Nullable(HexParam(f.unlock_token)), f.awaiting_configuration);
  return r[0][0].as<int>();
}

bool BindOnContact(pqxx::transaction_base& tx, const std::string& device_id, const std::string& cert_sha256) {
  // Row-locked: of two first messages at once with different certificates, the second finds
  // the binding made and is refused. The same certificate offered for two devices at once
  // stops at the unique index; the loser's message fails and the device tries again.
  auto r = Exec(tx, "enrollment_bind_on_contact",
                "UPDATE enrollments SET cert_sha256 = decode($2, 'hex'), bind_on_contact = false, "
                "  authenticated_at = now(), updated_at = now() "
                "WHERE id = $1 AND channel = 'device' AND bind_on_contact AND cert_sha256 IS NULL "
                "  AND NOT EXISTS (SELECT 1 FROM enrollments o WHERE o.channel = 'device' "
                "                  AND o.cert_sha256 = decode($2, 'hex')) "
                "RETURNING id",
                device_id, *HexParam(cert_sha256));
  return !r.empty();
}

void TouchLastSeen(pqxx::transaction_base& tx, const std::string& enrollment_id) {
  Exec(tx, "enrollment_touch",
       "UPDATE enrollments SET last_seen_at = now() WHERE id = $1 "
       "AND (last_seen_at IS NULL OR last_seen_at < now() - interval '60 seconds')",
       enrollment_id);
}

void RecordCheckOut(pqxx::transaction_base& tx, const protocol::EnrollmentRef& who) {
  if (who.user_channel) {
    Exec(tx, "enrollment_checkout_one",
         "UPDATE enrollments SET status = 'checked-out', checked_out_at = now(), updated_at = now() WHERE id = $1",
         who.id);
  } else {
    Exec(tx, "enrollment_checkout_device",
         "UPDATE enrollments SET status = 'checked-out', checked_out_at = now(), updated_at = now() "
         "WHERE device_id = $1",
         who.device_id);
  }
}

bool RemoveDevice(pqxx::transaction_base& tx, const std::string& device_id) {
  auto r = Exec(tx, "enrollment_remove",
                "UPDATE enrollments SET status = 'removed', push_token = NULL, push_magic = NULL, "
                "  updated_at = now() WHERE device_id = $1 RETURNING id",
                device_id);
  if (r.empty()) return false;
  FileDeviceRemovedEvent(tx, device_id);
  Exec(tx, "enrollment_remove_queue",
       "UPDATE command_queue SET status = 'Canceled' WHERE status IN ('Pending', 'NotNow') "
       "AND enrollment_id IN (SELECT id FROM enrollments WHERE device_id = $1)",
       device_id);
  return true;
}

void SetBootstrapToken(pqxx::transaction_base& tx, const std::string& device_id,
                       const std::optional<std::string>& token) {
  Exec(tx, "bootstrap_set",
       "UPDATE enrollments SET bootstrap_token = decode($2, 'hex'), updated_at = now() WHERE id = $1",
       device_id, Nullable(HexParam(token)));
}

std::optional<std::string> GetBootstrapToken(pqxx::transaction_base& tx, const std::string& device_id) {
  auto r = Exec(tx, "bootstrap_get", "SELECT bootstrap_token FROM enrollments WHERE id = $1", device_id);
  if (r.empty()) return std::nullopt;
  return Bytes(r[0][0]);
}

}  // namespace mdm::store
