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
  bool server_changed = false;    // /account names another server than the last run's
  bool profile_defined = false;
  long long assigned = 0, not_accessible = 0, failed = 0;
  int requests = 0;
  std::string token_warning;  // the server token expires within 30 days
  bool skipped_locked = false;  // another applesync holds the lock
};

struct SyncOptions {
  int page_size = 1000;
};

// Another MDM server's token (or another organisation's): what applesync kept for the previous one
// (the cursor, the account, the activation profile's UUID and each device's assignment) means
// nothing to the new one, so it goes; the next applesync starts with a full fetch and defines the
// profile again. Device records stay, and the full fetch updates those the new server holds.
void ForgetServer(pqxx::transaction_base& tx);

Result<SyncReport> AppleSync(pqxx::connection& conn, const SyncOptions& opts,
                             const std::function<void(const SyncProgress&)>& progress);

}  // namespace mdm::abm
