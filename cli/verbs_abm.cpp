// applesync, and the ABM view of `device list`.
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <rapidjson/document.h>

#include "abm/sync.h"
#include "console.h"
#include "json/json.h"
#include "store/cron_runs.h"
#include "store/sql_util.h"

namespace mdm::cli {

int RunAppleSync(Context& ctx) {
  abm::SyncOptions opts;
  const auto& a = ctx.args();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "--page-size" && i + 1 < a.size()) {
      opts.page_size = std::atoi(a[++i].c_str());
      if (opts.page_size < 1 || opts.page_size > 1000) return Fail("--page-size takes 1 to 1000");
    } else {
      return Fail("unknown argument '" + a[i] + "'; see mdm-console applesync --help");
    }
  }
  bool tty = isatty(STDERR_FILENO);
  const auto started = std::chrono::steady_clock::now();
  // For the metrics scrape: when the run ended, how long it took, how.
  auto record = [&](int status, const std::string& line) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    store::RecordCronRun(ctx.db(), "applesync", ms.count(), status, line);
  };
  auto report = abm::AppleSync(ctx.db().connection(), opts, [&](const abm::SyncProgress& p) {
    if (tty) std::fprintf(stderr, "\r%s: %lld devices, %d page(s)", p.phase.c_str(), p.devices, p.pages);
  });
  if (tty) std::fprintf(stderr, "\n");
  if (!report.ok()) {
    record(1, "applesync: " + report.status().message());
    return Fail(report.status().message());
  }
  if (report->skipped_locked) {
    std::printf("applesync: another run holds the lock; nothing to do\n");
    return 0;
  }
  if (!report->token_warning.empty()) std::fprintf(stderr, "warning: %s\n", report->token_warning.c_str());
  std::printf("applesync %s: %s, %d page(s), %lld device(s) stored, %lld deleted%s; profile %s; assigned %lld, "
              "not accessible %lld, failed %lld; %d request(s)\n",
              report->org_name.c_str(), report->mode.c_str(), report->pages, report->devices_seen, report->deleted,
              report->cursor_restarted ? " (cursor expired: full fetch again)" : "",
              report->profile_defined ? "defined" : "unchanged", report->assigned, report->not_accessible,
              report->failed, report->requests);
  record(0, "applesync " + report->org_name + ": " + report->mode + ", " + std::to_string(report->devices_seen) +
                " device(s) stored");
  return 0;
}

int ListAbmDevices(Context& ctx, bool json) {
  pqxx::read_transaction tx(ctx.db().connection());
  std::string doc = store::Exec(tx, "abm_list",
                                "SELECT coalesce(jsonb_agg(jsonb_build_object("
                                "  'serial_number', a.serial_number, 'source', a.source, 'model', a.model, "
                                "  'description', a.description, 'profile_status', a.profile_status, "
                                "  'assign_result', a.assign_result, 'deleted', a.deleted_at IS NOT NULL, "
                                "  'enrolled', e.status = 'enrolled', 'udid', coalesce(d.id, a.udid)) "
                                "  ORDER BY a.serial_number), '[]'::jsonb)::text "
                                "FROM dep_devices a "
                                "LEFT JOIN LATERAL (SELECT id FROM devices WHERE serial_number = a.serial_number "
                                "  ORDER BY updated_at DESC LIMIT 1) d ON true "
                                "LEFT JOIN enrollments e ON e.id = d.id")[0][0]
                        .as<std::string>();
  if (json) {
    std::printf("%s\n", doc.c_str());
    return 0;
  }
  rapidjson::Document d;
  // PostgreSQL built it; deeper and longer than the defaults allow is still ours.
  if (Status s = json::Parse(doc, &d, json::kStoredLimits); !s.ok())
    return Fail("cannot read the database's answer (" + s.message() + "); --json prints it as is");
  auto str = [](const rapidjson::Value& v, const char* k) -> std::string {
    const auto& x = v[k];
    if (x.IsString()) return x.GetString();
    if (x.IsBool()) return x.GetBool() ? "yes" : "no";
    return "-";
  };
  std::printf("%-14s %-9s %-24s %-14s %-16s %-8s %s\n", "SERIAL", "SOURCE", "MODEL", "PROFILE", "ASSIGNMENT",
              "ENROLLED", "STATE");
  for (const auto& v : d.GetArray())
    std::printf("%-14s %-9s %-24s %-14s %-16s %-8s %s\n", str(v, "serial_number").c_str(), str(v, "source").c_str(),
                str(v, "model").substr(0, 24).c_str(), str(v, "profile_status").c_str(),
                str(v, "assign_result").c_str(), str(v, "enrolled").c_str(),
                v["deleted"].GetBool() ? "deleted in ABM" : "");
  std::fprintf(stderr, "%u device(s) from ABM/ASM or registered\n", d.Size());
  return 0;
}

}  // namespace mdm::cli
