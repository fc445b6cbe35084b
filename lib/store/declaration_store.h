// Declarations as the DeclarativeManagement check-in serves them.
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "core/status.h"

namespace mdm::store {

// {"SyncTokens": {"DeclarationsToken": ..., "Timestamp": ...}} for the enrollment.
std::string DeclarativeTokensJson(pqxx::transaction_base& tx, const std::string& enrollment_id);
// {"Declarations": {"Activations": [...], ...}, "DeclarationsToken": ...}
std::string DeclarationItemsJson(pqxx::transaction_base& tx, const std::string& enrollment_id);
// One declaration assigned to the enrollment, or nullopt. `kind` is activation, configuration,
// asset or management.
std::optional<std::string> DeclarationJson(pqxx::transaction_base& tx, const std::string& enrollment_id,
                                           const std::string& kind, const std::string& identifier);
// Stores a status report: JSON text the caller has checked (protocol::CheckStatusReportJson).
void StoreStatusReport(pqxx::transaction_base& tx, const std::string& enrollment_id, const std::string& json);

}  // namespace mdm::store
