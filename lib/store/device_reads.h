// What operators read about devices and commands, as JSON documents built by PostgreSQL in one
// statement each. The admin API returns them as they are; the console prints them.
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

namespace mdm::store {

// [{id, serial_number, device_name, model, os_version, status, last_seen_at, imported_not_seen,
//   pending_commands}, ...]; imported_not_seen: brought over by an importer, no signed message yet
std::string DeviceListJson(pqxx::transaction_base& tx);

// {device: {...inventory...}, enrollments: [...], queue: [...pending...], recent_results: [...],
//  profiles: [...], apps: [...], certificates: [...], declarative_status: {...}} or nullopt.
std::optional<std::string> DeviceJson(pqxx::transaction_base& tx, const std::string& device_id);

// {command_uuid, request_type, source, created_at, expires_at, body, enrollments:
//  [{enrollment_id, status, priority, sent_count, not_now_count, queued_at, last_sent_at,
//  result_at, error_chain, result}]}, or nullopt for an unknown CommandUUID. body is the command
// as queued (the XML plist {CommandUUID, Command}, base64) when `with_body` (the console's
// command show), else null: the admin API does not hand out what a command carries (a PIN, an
// UnlockToken).
std::optional<std::string> CommandJson(pqxx::transaction_base& tx, const std::string& command_uuid,
                                       bool with_body = false);

// The statuses a command_queue row can have, as the table's CHECK lists them.
inline constexpr const char* kQueueStatuses[] = {"Pending", "NotNow", "Acknowledged", "Error",
                                                  "CommandFormatError", "Expired", "Canceled"};

struct CommandHistoryQuery {
  std::string enrollment_id;
  std::optional<std::string> status;  // one of kQueueStatuses; nullopt: all
  long long limit = 50;
  long long offset = 0;
};

// One enrollment's commands, newest queued first, one page:
// {enrollment_id, device_id, status_filter, limit, offset, more, commands: [{command_uuid,
//  request_type, source, status, priority, sent_count, queued_at, last_sent_at, result_at,
//  error_chain}]}; `more` says a next page exists. nullopt for an unknown enrollment.
std::optional<std::string> CommandHistoryJson(pqxx::transaction_base& tx, const CommandHistoryQuery& q);

bool EnrollmentExists(pqxx::transaction_base& tx, const std::string& enrollment_id);

// The columns a device page sorts by.
inline constexpr const char* kDeviceSortKeys[] = {"serial_number", "device_name", "model", "os_version", "status",
                                                  "last_seen_at"};

struct DevicePageQuery {
  std::string search;  // in serial number, name, UDID, model, product, OS version, group names ("" all)
  std::string sort = "last_seen_at";  // one of kDeviceSortKeys
  bool descending = true;
  long long limit = 50;
  long long offset = 0;
};
// One page of the device list: {total, limit, offset, devices: [as DeviceListJson's items]}.
std::string DevicePageJson(pqxx::transaction_base& tx, const DevicePageQuery& q);

// The ABM/ASM (and operator-registered) devices not enrolled yet, one page by serial number:
// {total, limit, offset, devices: [{serial_number, model, description, color, asset_tag, os,
//  device_family, profile_status, op_type, op_date, source}]}. Only q.search, limit and offset count.
std::string DepDevicePageJson(pqxx::transaction_base& tx, const DevicePageQuery& q);

// What the console's dashboard shows: {devices_total, devices_by_status (imported devices not
// seen yet as "imported"), devices_by_os, not_seen_7d, not_seen_30d (enrolled devices),
// commands_pending, commands_failed (answered Error or CommandFormatError in the last 7 days),
// cron_runs: [{verb, ended_at, duration_ms, exit_status, summary}], expiries} with `expiries_json`
// (a JSON array) as given.
std::string DashboardJson(pqxx::transaction_base& tx, const std::string& expiries_json);

}  // namespace mdm::store
