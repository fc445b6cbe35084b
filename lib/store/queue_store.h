// The per-enrollment command queue: enqueue, deliver the next command, record results.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "store/event_store.h"

#include "core/status.h"

namespace mdm::store {

struct NextCommand {
  std::string command_uuid;
  std::string body;  // the XML plist to send
};

// The Idle path in one statement (one round trip, no transaction): checks the enrollment and
// its certificate binding, records "last seen" at most once a minute, and returns the next
// command (marking it sent).
struct IdleOutcome {
  bool enrollment_exists = false;
  std::string status;         // the enrollment's status
  bool cert_matches = false;  // the device channel is bound to this certificate
  std::optional<NextCommand> next;
};
IdleOutcome Idle(pqxx::transaction_base& tx, const std::string& enrollment_id, const std::string& device_id,
                 const std::string& cert_sha256);

// A report that feeds no inventory, in one statement (no transaction): checks the enrollment
// and its binding like Idle, records the result (NotNow keeps the command), returns the next
// command. `recorded` is false for an unknown or finished CommandUUID.
struct ReportOutcome {
  bool enrollment_exists = false;
  std::string status;
  bool cert_matches = false;
  bool recorded = false;
  std::optional<NextCommand> next;
};
ReportOutcome RecordAndNext(pqxx::transaction_base& tx, const std::string& enrollment_id, const std::string& device_id,
                            const std::string& cert_sha256, const std::string& command_uuid,
                            const std::string& status, const std::string& report_json,
                            const std::string& error_chain_json, const EventSource& event);

// Records a report for a command. NotNow keeps the command queued; the others end it.
// Returns the command's RequestType, or nullopt when this enrollment has no such pending command.
std::optional<std::string> RecordResult(pqxx::transaction_base& tx, const std::string& enrollment_id,
                                        const std::string& command_uuid, const std::string& status,
                                        const std::string& report_json, const std::string& error_chain_json);

// The next command to deliver, skipping `exclude_uuid`, and every NotNow command when
// `skip_not_now` (the answer to a NotNow must not hand back what the device just deferred).
std::optional<NextCommand> Next(pqxx::transaction_base& tx, const std::string& enrollment_id,
                                const std::string& exclude_uuid, bool skip_not_now);

struct EnqueueRequest {
  std::string command_uuid;
  std::string request_type;
  std::string body;  // XML plist {CommandUUID, Command}
  std::vector<std::string> enrollment_ids;
  int priority = 0;
  std::string source = "console";
};

// The channels ("device", "user") among the targets; kNotFound or kConflict naming the first
// few that are unknown or not enrolled.
Result<std::vector<std::string>> CheckTargets(pqxx::transaction_base& tx, const std::vector<std::string>& ids);

// Inserts the command and its queue rows (one statement).
void Insert(pqxx::transaction_base& tx, const EnqueueRequest& req);

}  // namespace mdm::store
