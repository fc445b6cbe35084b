// The last run of each crontab verb (table cron_runs): applesync and mdmcron record how they
// ended, and the metrics scrape reads it.
#pragma once

#include <cstdint>
#include <string>

#include "store/database.h"

namespace mdm::store {

// Replaces `verb`'s row (applesync or mdmcron): it ended now, after `duration_ms`, with the
// verb's exit status and its last line. Never throws: a record that cannot be written is only
// logged (also when the database cannot be reached), since the run's own work is done by then.
void RecordCronRun(Database& db, const std::string& verb, int64_t duration_ms, int exit_status,
                   const std::string& summary);

}  // namespace mdm::store
