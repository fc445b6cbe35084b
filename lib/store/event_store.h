// The webhook outbox (sql/0007_webhooks.sql): device events filed in the transaction of the
// change they report, one row per enabled webhook that takes the topic, in the MicroMDM /
// NanoMDM webhook format. With no webhook configured a filing inserts nothing.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "protocol/messages.h"

namespace mdm::store {

// Topics, as MicroMDM and NanoMDM name them; the last two are ours.
namespace topic {
constexpr const char* kConnect = "mdm.Connect";  // a command answer (acknowledge_event)
constexpr const char* kDeviceRemoved = "mdm.DeviceRemoved";  // removed by the operator (device_event)
constexpr const char* kAbmDevice = "abm.DeviceChanged";      // added, modified or deleted in ABM (abm_event)
}  // namespace topic

// Every topic a webhook can take, for `webhook add --events`.
const std::vector<std::string>& WebhookTopics();

// The query string of the request as the event's url_params (a JSON object).
std::string UrlParamsJson(const std::string& query);

// A check-in message ("mdm.Authenticate", "mdm.TokenUpdate", ...): checkin_event with udid (or
// enrollment_id for a user enrollment), url_params and raw_payload (the body, base64);
// `token_update_tally` (1 on the first TokenUpdate: a new enrollment) when above 0.
void FileCheckinEvent(pqxx::transaction_base& tx, const std::string& topic, const protocol::EnrollmentRef& who,
                      const std::string& raw_payload, const std::string& query, int token_update_tally = 0);

// Where an event comes from: who sent it, the body as sent, the request's query string.
struct EventSource {
  std::string udid, enrollment_id;  // as EventIdentity gives them
  const std::string* raw_payload;
  std::string url_params;           // JSON object
};
EventSource EventSourceOf(const protocol::EnrollmentRef& who, const std::string& raw_payload, const std::string& query);

// A command answer: mdm.Connect with acknowledge_event (udid, status, command_uuid, url_params,
// raw_payload).
void FileAcknowledgeEvent(pqxx::transaction_base& tx, const protocol::EnrollmentRef& who, const std::string& status,
                          const std::string& command_uuid, const std::string& raw_payload, const std::string& query);

// The statement part that files mdm.Connect as a CTE of a statement that records the answer
// (queue_store's one-statement path): "ev AS (INSERT ...)", filing only when `when` (an SQL
// condition) holds. The parameters are SQL expressions of the caller's statement.
std::string AcknowledgeEventCte(const std::string& when, const std::string& udid, const std::string& enrollment_id,
                                const std::string& status, const std::string& command_uuid,
                                const std::string& raw_bytea, const std::string& url_params);

// mdm.DeviceRemoved (device_event: udid, serial_number, removed_by) for a device the operator
// removed.
void FileDeviceRemovedEvent(pqxx::transaction_base& tx, const std::string& device_id);

// Two CTEs, "abm_ev_rows AS (...), abm_ev AS (INSERT ...)", that file abm.DeviceChanged
// (abm_event: serial_number, op_type, op_date and the device's fields) for every row of `rows`,
// a CTE of the caller's statement with dep_devices' columns.
std::string AbmDeviceEventCtes(const std::string& rows);

// The udid / enrollment_id pair of an event: (UDID, "") on the device and user channels of a
// device, ("", EnrollmentID) for a user enrollment.
std::pair<std::string, std::string> EventIdentity(const protocol::EnrollmentRef& who);

}  // namespace mdm::store
