#include "metrics/database_gauges.h"

#include <array>
#include <tuple>

#include "store/sql_util.h"

namespace mdm::metrics {
namespace {

constexpr std::size_t kSettings = std::size(certs::kExpirySettings);

// The one statement of a scrape. Queue rows waiting are read through the queue's partial index
// (status Pending or NotNow); the pushes' outcomes are one pass over the enrolled channels.
const std::string& GaugesSql() {
  static const std::string sql = [] {
    std::string s =
        "SELECT extract(epoch FROM now())::float8, q.pending, q.not_now, "
        "  coalesce(extract(epoch FROM now() - q.oldest), 0)::float8, "
        "  (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM command_queue_seq_seq), "
        "  p.sent, p.failed, p.dead, p.never, extract(epoch FROM p.last_sent)::float8, "
        "  extract(epoch FROM a.finished_at)::float8, a.duration_ms, a.exit_status, "
        "  extract(epoch FROM m.finished_at)::float8, m.duration_ms, m.exit_status";
    for (std::size_t i = 1; i <= kSettings; ++i)
      s += ", (SELECT value FROM settings WHERE name = $" + std::to_string(i) + ")";
    s += " FROM (SELECT count(*) FILTER (WHERE status = 'Pending') AS pending, "
         "         count(*) FILTER (WHERE status = 'NotNow') AS not_now, min(created_at) AS oldest "
         "       FROM command_queue WHERE status IN ('Pending', 'NotNow')) q "
         "CROSS JOIN (SELECT count(*) FILTER (WHERE push_token_invalid_at IS NOT NULL) AS dead, "
         "         count(*) FILTER (WHERE push_token_invalid_at IS NULL AND last_push_error IS NOT NULL) AS failed, "
         "         count(*) FILTER (WHERE push_token_invalid_at IS NULL AND last_push_error IS NULL "
         "                          AND last_push_at IS NOT NULL) AS sent, "
         "         count(*) FILTER (WHERE push_token_invalid_at IS NULL AND last_push_error IS NULL "
         "                          AND last_push_at IS NULL) AS never, "
         "         max(last_push_at) AS last_sent "
         "       FROM enrollments WHERE status = 'enrolled' AND push_token IS NOT NULL) p "
         "LEFT JOIN cron_runs a ON a.verb = 'applesync' "
         "LEFT JOIN cron_runs m ON m.verb = 'mdmcron'";
    return s;
  }();
  return sql;
}

std::optional<CronRun> CronRunAt(const pqxx::row& row, int first) {
  if (row[first].is_null()) return std::nullopt;
  CronRun run;
  run.finished_at = row[first].as<double>();
  run.duration_seconds = static_cast<double>(row[first + 1].as<int64_t>()) / 1000;
  run.exit_status = row[first + 2].as<int>();
  return run;
}

void WriteGauges(TextWriter& w, const DatabaseGauges& g) {
  w.Family("mdm_command_queue_depth", "gauge", "Commands waiting in the queue (one row per enrollment), by status.");
  w.Sample("mdm_command_queue_depth", {{"status", "Pending"}}, static_cast<double>(g.pending));
  w.Sample("mdm_command_queue_depth", {{"status", "NotNow"}}, static_cast<double>(g.not_now));
  w.Family("mdm_command_queue_oldest_age_seconds", "gauge",
           "Age of the oldest command waiting (Pending or NotNow); 0 when none waits.");
  w.Sample("mdm_command_queue_oldest_age_seconds", {}, g.oldest_queued_age_seconds);
  w.Family("mdm_commands_queued_total", "counter",
           "Commands queued for an enrollment since the database was made (the queue's sequence).");
  w.Sample("mdm_commands_queued_total", {}, static_cast<double>(g.queued_total));

  w.Family("mdm_push_enrollments", "gauge",
           "Enrolled channels with a push token, by the outcome of their last push (never: not pushed yet).");
  w.Sample("mdm_push_enrollments", {{"outcome", "sent"}}, static_cast<double>(g.push_sent));
  w.Sample("mdm_push_enrollments", {{"outcome", "failed"}}, static_cast<double>(g.push_failed));
  w.Sample("mdm_push_enrollments", {{"outcome", "token_dead"}}, static_cast<double>(g.push_token_dead));
  w.Sample("mdm_push_enrollments", {{"outcome", "never"}}, static_cast<double>(g.push_never));
  if (g.last_push_sent_at) {
    w.Family("mdm_push_last_sent_timestamp_seconds", "gauge", "When APNs last accepted a push (unix seconds).");
    w.Sample("mdm_push_last_sent_timestamp_seconds", {}, *g.last_push_sent_at);
  }

  const std::pair<const char*, const std::optional<CronRun>*> runs[] = {{"applesync", &g.applesync},
                                                                        {"mdmcron", &g.mdmcron}};
  auto each_run = [&](const char* name, const char* help, auto value) {
    w.Family(name, "gauge", help);
    for (const auto& [verb, run] : runs)
      if (*run) w.Sample(name, {{"verb", verb}}, value(**run));
  };
  each_run("mdm_cron_last_run_timestamp_seconds", "When the last run of a crontab verb ended (unix seconds).",
           [](const CronRun& r) { return r.finished_at; });
  each_run("mdm_cron_last_run_duration_seconds", "How long the last run of a crontab verb took.",
           [](const CronRun& r) { return r.duration_seconds; });
  each_run("mdm_cron_last_run_exit_status", "The exit status of its last run (0 worked; 1 failed; 3 pushes failed).",
           [](const CronRun& r) { return static_cast<double>(r.exit_status); });
  each_run("mdm_cron_last_run_success", "1 when the last run of a crontab verb exited 0, else 0.",
           [](const CronRun& r) { return r.exit_status == 0 ? 1.0 : 0.0; });

  w.Family("mdm_certificate_expiry_timestamp_seconds", "gauge",
           "When a stored certificate or token expires (unix seconds), as mdm-console status reports it.");
  for (const auto& e : g.expiries)
    w.Sample("mdm_certificate_expiry_timestamp_seconds", {{"certificate", e.name}}, static_cast<double>(e.expires_at));
  w.Family("mdm_certificate_days_to_expiry", "gauge",
           "Days until a stored certificate or token expires; negative once it has expired.");
  for (const auto& e : g.expiries)
    w.Sample("mdm_certificate_days_to_expiry", {{"certificate", e.name}},
             (static_cast<double>(e.expires_at) - g.now) / 86400);
}

}  // namespace

DatabaseGauges ReadDatabaseGauges(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  std::array<std::string, kSettings> names;
  for (std::size_t i = 0; i < kSettings; ++i) names[i] = certs::kExpirySettings[i];
  pqxx::result r = std::apply(
      [&](const auto&... name) { return store::Exec(tx, "metrics_gauges", GaugesSql().c_str(), name...); }, names);
  const pqxx::row row = r[0];
  DatabaseGauges g;
  g.now = row[0].as<double>();
  g.pending = row[1].as<int64_t>();
  g.not_now = row[2].as<int64_t>();
  g.oldest_queued_age_seconds = row[3].as<double>();
  g.queued_total = row[4].as<int64_t>();
  g.push_sent = row[5].as<int64_t>();
  g.push_failed = row[6].as<int64_t>();
  g.push_token_dead = row[7].as<int64_t>();
  g.push_never = row[8].as<int64_t>();
  if (!row[9].is_null()) g.last_push_sent_at = row[9].as<double>();
  g.applesync = CronRunAt(row, 10);
  g.mdmcron = CronRunAt(row, 13);
  const int first_setting = 16;
  g.expiries = certs::Expiries([&](const char* name) -> std::optional<std::string> {
    for (std::size_t i = 0; i < kSettings; ++i)
      if (std::string_view(name) == certs::kExpirySettings[i] && !row[first_setting + static_cast<int>(i)].is_null())
        return row[first_setting + static_cast<int>(i)].as<std::string>();
    return std::nullopt;
  });
  return g;
}

std::string Exposition(const Counters& counters, const DatabaseGauges* gauges) {
  TextWriter w;
  WriteCounters(w, counters);
  w.Family("mdm_database_up", "gauge", "1 when this scrape's query of PostgreSQL answered, else 0.");
  w.Sample("mdm_database_up", {}, gauges ? 1 : 0);
  if (gauges) WriteGauges(w, *gauges);
  return w.text();
}

}  // namespace mdm::metrics
