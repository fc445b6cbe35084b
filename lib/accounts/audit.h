// The audit log: who changed what, when, on which device, through the web console or the admin
// API. Written in the transaction of the change where there is one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace mdm::accounts {

// One row per device (none: one row without a device), in one statement. `detail` is a JSON
// object or "".
void Audit(pqxx::transaction_base& tx, const std::string& actor, const std::string& action,
           const std::vector<std::string>& device_ids, const std::string& detail);

// {"entries": [{id, at, actor, action, device_id, detail}], "more": bool}, newest first.
std::string AuditJson(pqxx::transaction_base& tx, long long limit, long long offset,
                      const std::optional<std::string>& device_id);

}  // namespace mdm::accounts
