// What operators read about devices and commands, as JSON documents built by PostgreSQL in one
// statement each. The admin API returns them as they are; the console prints them.
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

namespace mdm::store {

// [{id, serial_number, device_name, model, os_version, status, last_seen_at, pending_commands}, ...]
std::string DeviceListJson(pqxx::transaction_base& tx);

// {device: {...inventory...}, enrollments: [...], queue: [...pending...], recent_results: [...],
//  profiles: [...], apps: [...], certificates: [...], declarative_status: {...}} or nullopt.
std::optional<std::string> DeviceJson(pqxx::transaction_base& tx, const std::string& device_id);

// {command_uuid, request_type, created_at, enrollments: [{enrollment_id, status, result_at,
//  error_chain, result}]} or nullopt.
std::optional<std::string> CommandJson(pqxx::transaction_base& tx, const std::string& command_uuid);

}  // namespace mdm::store
