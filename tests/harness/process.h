// Child processes for the test harness: run a command to completion, or keep a server running
// until the handle goes away.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace mdm::test {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
  double wall_seconds = 0, cpu_seconds = 0;  // what it cost (benchmarks read these)
  long max_rss_kb = 0;
};

// Runs argv to completion; `as_user` (when non-empty and we are root) runs it through runuser.
CommandResult Run(const std::vector<std::string>& argv, const std::string& as_user = "");

// A background process whose stdout/stderr go to `log_path`; stopped with SIGTERM on destruction.
class Process {
 public:
  Process() = default;
  Process(const std::vector<std::string>& argv, const std::string& log_path);
  ~Process();
  Process(Process&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  Process& operator=(Process&& o) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM, then SIGKILL after `grace_ms`; returns the exit status (or -signal).
  int Stop(int grace_ms = 5000);
  // Sends `sig` at once (SIGKILL: no chance to clean up) and reaps the process.
  int Kill(int sig);

 private:
  pid_t pid_ = -1;
};

// A private folder, removed with its contents on destruction (unless MDM_KEEP_TEST_DIR is set).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& data, unsigned mode = 0644);
int FreeTcpPort();
bool IsRoot();

}  // namespace mdm::test
