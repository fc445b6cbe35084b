// `vpp sync`: every page of each location's assets (licence counts) and assignments (who holds
// a licence) into vpp_assets and vpp_licences, set-based, so our view matches Apple's after
// changes made by hand in ABM/ASM. mdmcron's licence step refreshes the assets when it needs them.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.h"
#include "vpp/client.h"
#include "vpp/tokens.h"

namespace mdm::vpp {

struct SyncOptions {
  bool assignments = true;
};

struct LocationSync {
  std::string location;
  long long assets = 0, assignments = 0;
  long long added = 0, removed = 0;  // licences Apple reports that we lacked / we had and Apple does not
  std::string error;                 // the sentence it stopped with; "" when it went through
  std::string expiry_warning;        // the token expires within 30 days
};

struct SyncReport {
  std::vector<LocationSync> locations;
  int requests = 0;
  bool failed() const;
};

// Every stored token (none: an empty report).
Result<SyncReport> SyncAll(pqxx::connection& conn, const SyncOptions& options);

// One location's assets, all pages; stored in one statement. Returns how many.
Result<long long> SyncAssets(pqxx::connection& conn, VppClient& client, int64_t token_id);
// One location's assignments, all pages, merged into vpp_licences.
Status SyncAssignments(pqxx::connection& conn, VppClient& client, int64_t token_id, LocationSync* out);

// Records the sentence a run ended with for a location (NULL clears it).
void RecordError(pqxx::connection& conn, int64_t token_id, const std::string& error);

}  // namespace mdm::vpp
