#include "pg_cluster.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace mdm::test {
namespace fs = std::filesystem;

namespace {
const char* kUser = "postgres";
}

std::string PostgresBinDir() {
  if (const char* e = std::getenv("MDM_PG_BINDIR"); e && *e) return e;
  std::string best;
  int best_v = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int v = std::atoi(entry.path().filename().c_str());
    if (v > best_v && fs::exists(entry.path() / "bin" / "initdb")) {
      best_v = v;
      best = (entry.path() / "bin").string();
    }
  }
  if (best.empty()) throw std::runtime_error("no PostgreSQL server found: apt-get install -y postgresql");
  return best;
}

PgCluster::PgCluster(const std::string& root)
    : root_(root + "/pg"), data_(root_ + "/data"), sock_(root_ + "/sock"), bindir_(PostgresBinDir()) {
  fs::create_directories(sock_);
  if (IsRoot()) Run({"chown", "-R", kUser + std::string(":"), root_});
  auto r = Run({bindir_ + "/initdb", "-D", data_, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync",
                "--locale=C"},
               kUser);
  if (r.exit_code != 0) throw std::runtime_error("initdb failed:\n" + r.output);
  Start();
  auto c = Run({bindir_ + "/psql", "-h", sock_, "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
                "-c", "CREATE DATABASE mdm"});
  if (c.exit_code != 0) throw std::runtime_error("CREATE DATABASE failed:\n" + c.output);
}

PgCluster::~PgCluster() {
  try {
    Stop();
  } catch (...) {
  }
}

void PgCluster::Start() {
  if (running_) return;
  auto r = Run({bindir_ + "/pg_ctl", "-D", data_, "-l", root_ + "/postgres.log", "-w", "-t", "60", "-o",
                "-k " + sock_ + " -c listen_addresses= -c fsync=off -c full_page_writes=off -c max_connections=300",
                "start"},
               kUser);
  if (r.exit_code != 0) throw std::runtime_error("pg_ctl start failed:\n" + r.output + ReadFile(root_ + "/postgres.log"));
  running_ = true;
}

void PgCluster::Stop(const std::string& mode) {
  if (!running_) return;
  auto r = Run({bindir_ + "/pg_ctl", "-D", data_, "-m", mode, "-w", "stop"}, kUser);
  if (r.exit_code != 0) throw std::runtime_error("pg_ctl stop -m " + mode + " failed:\n" + r.output);
  running_ = false;
}

std::string PgCluster::conninfo() const { return "host=" + sock_ + " dbname=mdm user=postgres"; }

}  // namespace mdm::test
