// mdm-console import oco: an OCO server's Apple fleet and settings, read from its MariaDB/MySQL
// database in one snapshot, checked, and written here in one transaction through the store
// and catalog functions the rest of the server uses. A second run adds nothing twice.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.h"
#include "import/mysql.h"

namespace mdm::import {

struct OcoOptions {
  bool dry_run = false;            // do it all, then roll back: the report says what would change
  bool replace_push_cert = false;  // take OCO's push certificate although ours has another topic
  // Called as the devices are read and written (stage "reading devices" / "writing devices").
  std::function<void(const std::string& stage, size_t done, size_t total)> progress;
};

// One kind of thing brought over: how many OCO had, how many were written, how many were here
// already (a second run), how many were skipped (with the reasons in `notes`).
struct OcoTally {
  std::string kind;
  size_t found = 0, imported = 0, present = 0, skipped = 0;
};

struct OcoReport {
  std::deque<OcoTally> tallies;  // a deque: references to a tally stay valid as more are added
  std::vector<std::string> notes;  // one line each: what was skipped and why, what was kept
  double seconds = 0;
};

// Reads OCO's database through `oco` (a snapshot) and imports. Refused, with nothing changed,
// when OCO's schema lacks what is needed or a key does not match its certificate.
Result<OcoReport> ImportOco(MysqlSession& oco, pqxx::connection& conn, const OcoOptions& options);

}  // namespace mdm::import
