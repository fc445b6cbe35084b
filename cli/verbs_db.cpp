#include <cstdio>

#include "console.h"
#include "enroll/device_ca.h"
#include "store/migrate.h"

namespace mdm::cli {

int RunMigrate(Context& ctx) {
  if (!ctx.args().empty()) return Fail("migrate takes no arguments; see mdm-console migrate --help");
  auto report = store::Migrate(ctx.db().connection());
  if (!report.ok()) return Fail(report.status().message());
  for (const auto& m : report->applied) std::printf("applied %04d %s\n", m.version, m.name.c_str());
  // The device CA exists from the first migrate on, so workers and profiles agree on it.
  enroll::LoadOrCreateDeviceCa(ctx.db().connection());
  std::printf("schema at version %d (%zu applied now)\n", report->current_version, report->applied.size());
  return 0;
}

int RunHealth(Context& ctx) {
  if (!ctx.args().empty()) return Fail("health takes no arguments");
  int have = store::CurrentSchemaVersion(ctx.db().connection());
  int built = store::BuiltinMigrations().empty() ? 0 : store::BuiltinMigrations().back().version;
  std::printf("database reachable, schema version %d (this binary knows %d)\n", have, built);
  if (have < built) return Fail("the schema is behind this binary: run mdm-console migrate");
  return 0;
}

}  // namespace mdm::cli
