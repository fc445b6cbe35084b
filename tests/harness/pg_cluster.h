// A private PostgreSQL cluster for one test run: initdb into a temporary folder, listening on a
// unix socket there only (no TCP port to clash), run as the postgres user when we are root.
#pragma once

#include <string>

#include "process.h"

namespace mdm::test {

class PgCluster {
 public:
  // Creates and starts the cluster and a database named "mdm".
  explicit PgCluster(const std::string& root);
  ~PgCluster();

  void Start();
  // pg_ctl stop's mode: "smart", "fast" (sessions are ended, then a checkpoint) or "immediate"
  // (no checkpoint: crash recovery at the next start).
  void Stop(const std::string& mode = "fast");
  bool running() const { return running_; }
  // libpq connection string for the "mdm" database.
  std::string conninfo() const;
  const std::string& bindir() const { return bindir_; }

 private:
  std::string root_, data_, sock_, bindir_;
  bool running_ = false;
};

// Folder of initdb/pg_ctl: $MDM_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin.
std::string PostgresBinDir();

}  // namespace mdm::test
