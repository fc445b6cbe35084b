// What the server side spends under load: CPU time of each server process family and the
// worker's resident memory (from /proc), and committed database transactions (pg_stat_database).
#pragma once

#include <map>
#include <string>

#include "fleet.h"
#include "stack.h"

namespace devicesim {

struct Usage {
  Clock::time_point at;
  // CPU seconds by family: "devicesim" (this process), and for each process whose command line
  // names the marker, its command name ("mdm-fcgi", "nginx", "postgres") with its descendants.
  std::map<std::string, double> cpu_seconds;
  double machine_cpu_seconds = 0;  // all CPUs, every process (from /proc/stat)
  long worker_rss_kb = -1;         // VmRSS of the mdm-fcgi process; -1 when none was found
};

class Probe {
 public:
  // `marker`: a path the command lines of the server processes contain. `stack`: the stack this
  // process started, or nullptr for one found through its configuration.
  Probe(std::string marker, std::string conninfo, mdm::test::Stack* stack)
      : marker_(std::move(marker)), conninfo_(std::move(conninfo)), stack_(stack) {}

  Usage Read() const;
  // xact_commit of the server's database. PostgreSQL publishes a backend's counters at most once
  // a second, and the rest when the backend has idled 10 s or exits: with a stack of our own the
  // workers are restarted first so their backends exit, which makes the count exact.
  long long Transactions() const;
  bool exact() const { return stack_ != nullptr; }

 private:
  std::string marker_, conninfo_;
  mdm::test::Stack* stack_;
};

}  // namespace devicesim
