// Schema migrations: the numbered files of sql/, built into the binary, applied in order,
// each in its own transaction, and recorded in schema_migrations so a second run does nothing.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.h"

namespace mdm::store {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// The migrations built into this binary, ordered by version.
const std::vector<Migration>& BuiltinMigrations();

struct MigrateReport {
  std::vector<Migration> applied;  // applied by this run
  int current_version = 0;         // the version the database is at afterwards
};

// Applies every migration not yet applied. Safe to run from two hosts at once (advisory lock).
Result<MigrateReport> Migrate(pqxx::connection& conn);

// The highest applied version, 0 when none.
int CurrentSchemaVersion(pqxx::connection& conn);

}  // namespace mdm::store
