// Inventory from command results: each kind of answer replaces its previous snapshot.
#pragma once

#include <string>

#include <pqxx/pqxx>

#include "plist/property_list.h"

namespace mdm::store {

// Applies the result of `request_type` (the device's whole report) to the device's inventory.
// Request types that feed no inventory are ignored.
void ApplyInventory(pqxx::transaction_base& tx, const std::string& device_id, const std::string& enrollment_id,
                    const std::string& request_type, plist_t report);

}  // namespace mdm::store
