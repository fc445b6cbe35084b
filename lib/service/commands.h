// Queuing commands: the one function the console, the admin API and deployment call.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.h"
#include "plist/property_list.h"

namespace mdm::service {

struct EnqueueOptions {
  int priority = 0;
  std::string source = "console";
  bool force = false;  // skip the schema check (the operator takes responsibility)
};

struct Enqueued {
  std::string command_uuid;
  std::string request_type;
  size_t enrollments = 0;
};

// The plist a device receives: {CommandUUID, Command}.
std::string CommandBody(const std::string& command_uuid, plist_t command);

// Checks `command` (the Command dictionary: RequestType and its keys) against Apple's schema for
// every channel among the targets, and queues it for all of them in one transaction. Nothing is
// queued when any target is unknown, not enrolled, or the command fails the check.
Result<Enqueued> EnqueueCommand(pqxx::connection& conn, plist_t command, const std::vector<std::string>& enrollment_ids,
                                const EnqueueOptions& opts = {});

}  // namespace mdm::service
