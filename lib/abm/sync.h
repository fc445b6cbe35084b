// applesync: devices from ABM/ASM into dep_devices (a full fetch the first time, then changes
// from the cursor), and the activation profile defined when it changed and assigned to the
// devices that lack it.
#pragma once

#include <functional>
#include <string>

#include <pqxx/pqxx>

#include "core/status.h"

namespace mdm::abm {

struct SyncProgress {
  std::string phase;  // fetch or sync
  int pages = 0;
  long long devices = 0;
};

struct SyncReport {
  std::string org_name;
  std::string mode;  // what this run did: fetch (full) or sync (changes)
  int pages = 0;
  long long devices_seen = 0, deleted = 0;
  bool cursor_restarted = false;  // an expired or invalid cursor forced a new full fetch
  bool profile_defined = false;
  long long assigned = 0, not_accessible = 0, failed = 0;
  int requests = 0;
  std::string token_warning;  // the server token expires within 30 days
  bool skipped_locked = false;  // another applesync holds the lock
};

struct SyncOptions {
  int page_size = 1000;
};

Result<SyncReport> AppleSync(pqxx::connection& conn, const SyncOptions& opts,
                             const std::function<void(const SyncProgress&)>& progress);

}  // namespace mdm::abm
