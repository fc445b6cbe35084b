// What a metrics scrape reads from PostgreSQL, in one statement: the queue's depth and oldest
// command, the pushes' last outcomes, the last applesync and mdmcron runs, and when the stored
// certificates and tokens expire (as `mdm-console status` reports them). Then the whole
// exposition: the workers' counters and these gauges.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "certs/certs.h"
#include "metrics/metrics.h"

namespace mdm::metrics {

struct CronRun {
  double finished_at = 0;  // unix seconds
  double duration_seconds = 0;
  int exit_status = 0;
};

struct DatabaseGauges {
  double now = 0;  // the database's clock, unix seconds
  int64_t pending = 0, not_now = 0;  // command_queue rows by status
  double oldest_queued_age_seconds = 0;  // of those rows; 0 when there is none
  int64_t queued_total = 0;  // queue rows ever made (the sequence: a rolled-back enqueue counts)
  // Enrolled channels with a push token, by the outcome of their last push.
  int64_t push_sent = 0, push_failed = 0, push_token_dead = 0, push_never = 0;
  std::optional<double> last_push_sent_at;
  std::optional<CronRun> applesync, mdmcron;
  std::vector<certs::Expiry> expiries;
};

// One statement; throws what pqxx throws.
DatabaseGauges ReadDatabaseGauges(pqxx::connection& conn);

// The text of a scrape: the counters, then the gauges; `gauges` null when the database did not
// answer (mdm_database_up 0, and no gauge is made up).
std::string Exposition(const Counters& counters, const DatabaseGauges* gauges);

}  // namespace mdm::metrics
