#include "store/cron_runs.h"

#include "core/log.h"
#include "store/sql_util.h"

namespace mdm::store {

void RecordCronRun(Database& db, const std::string& verb, int64_t duration_ms, int exit_status,
                   const std::string& summary) {
  // At most 2000 bytes, never cutting a UTF-8 sequence.
  std::size_t keep = summary.size();
  if (keep > 2000) {
    keep = 2000;
    while (keep > 0 && (static_cast<unsigned char>(summary[keep]) & 0xC0) == 0x80) --keep;
  }
  try {
    pqxx::nontransaction tx(db.connection());
    Exec(tx, "cron_run_record",
         "INSERT INTO cron_runs (verb, finished_at, duration_ms, exit_status, summary) VALUES ($1, now(), $2, $3, $4) "
         "ON CONFLICT (verb) DO UPDATE SET finished_at = excluded.finished_at, duration_ms = excluded.duration_ms, "
         "  exit_status = excluded.exit_status, summary = excluded.summary",
         verb, duration_ms, exit_status, summary.substr(0, keep));
  } catch (const std::exception& e) {
    log::Warn().kv("event", "cron_run_not_recorded").kv("verb", verb).msg(e.what());
  }
}

}  // namespace mdm::store
