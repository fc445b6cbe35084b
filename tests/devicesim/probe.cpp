#include "probe.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "process.h"

namespace devicesim {
namespace fs = std::filesystem;
namespace {

struct Proc {
  int ppid = 0;
  std::string comm;
  double cpu_seconds = 0;  // its own and that of the children it reaped
  bool marked = false;
};

std::map<int, Proc> Processes(const std::string& marker) {
  static const double kTick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::map<int, Proc> procs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime"
    const std::string stat = mdm::test::ReadFile("/proc/" + pid + "/stat");
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;  // gone meanwhile
    Proc p;
    p.comm = stat.substr(open + 1, close - open - 1);
    std::istringstream fields(stat.substr(close + 1));
    std::string skip;
    fields >> skip >> p.ppid;
    for (int i = 0; i < 9; ++i) fields >> skip;
    for (int i = 0; i < 4; ++i) {
      long long ticks = 0;
      fields >> ticks;
      p.cpu_seconds += static_cast<double>(ticks) / kTick;
    }
    p.marked = mdm::test::ReadFile("/proc/" + pid + "/cmdline").find(marker) != std::string::npos;
    procs.emplace(std::stoi(pid), std::move(p));
  }
  return procs;
}

// The nearest process at or above `pid` whose command line names the marker.
const std::pair<const int, Proc>* MarkedRoot(const std::map<int, Proc>& procs, int pid) {
  for (int depth = 0; depth < 64; ++depth) {
    auto it = procs.find(pid);
    if (it == procs.end()) return nullptr;
    if (it->second.marked) return &*it;
    pid = it->second.ppid;
  }
  return nullptr;
}

// "cpu  user nice system idle iowait irq softirq steal ...": the time not idle.
double MachineCpuSeconds() {
  std::istringstream cpu(mdm::test::ReadFile("/proc/stat"));
  std::string label;
  long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  cpu >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long RssKb(int pid) {
  std::istringstream status(mdm::test::ReadFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

}  // namespace

Usage Probe::Read() const {
  Usage u;
  u.at = Clock::now();
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  u.cpu_seconds["devicesim"] = secs(self.ru_utime) + secs(self.ru_stime);
  u.machine_cpu_seconds = MachineCpuSeconds();
  auto procs = Processes(marker_);
  for (const auto& [pid, p] : procs) {
    const auto* root = MarkedRoot(procs, pid);
    if (!root) continue;
    u.cpu_seconds[root->second.comm] += p.cpu_seconds;
    if (root->first == pid && p.comm == "mdm-fcgi") u.worker_rss_kb = std::max(u.worker_rss_kb, 0L) + RssKb(pid);
  }
  return u;
}

long long Probe::Transactions() const {
  if (stack_) {
    std::vector<int> backends;
    {
      pqxx::connection c(conninfo_);
      pqxx::nontransaction tx(c);
      for (const auto& row : tx.exec("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
                                     "AND application_name <> 'devicesim-webhook-follower'"))
        backends.push_back(row[0].as<int>());
    }
    stack_->StopWorkers();
    auto deadline = Clock::now() + std::chrono::seconds(10);
    for (int pid : backends) {
      while (fs::exists("/proc/" + std::to_string(pid))) {
        if (Clock::now() > deadline) throw std::runtime_error("PostgreSQL backend " + std::to_string(pid) + " did not exit");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    stack_->StartWorkers();
  }
  pqxx::connection c(conninfo_);
  pqxx::nontransaction tx(c);
  return tx.exec1("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")[0].as<long long>();
}

}  // namespace devicesim
