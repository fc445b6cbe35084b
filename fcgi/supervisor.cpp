#include "supervisor.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "core/log.h"
#include "metrics/metrics.h"
#include "scoreboard.h"
#include "service/rate_limiter.h"
#include "worker.h"

namespace mdm::fcgi {
namespace {

// A worker that lived this long before dying counts as healthy: its replacement starts at once.
constexpr int64_t kHealthyLifeMs = 10'000;
constexpr int64_t kFirstDelayMs = 100, kMaxDelayMs = 30'000;

struct WorkerState {
  pid_t pid = 0;             // 0: not running
  int64_t started_ms = 0;
  int64_t restart_at_ms = 0;  // when pid is 0: when to start it again
  int quick_deaths = 0;       // deaths in a row, each within kHealthyLifeMs of its start
};

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : std::to_string(sig);
}

class Supervisor {
 public:
  Supervisor(const Config& config, int listen_fd)
      : config_(config), fd_(listen_fd), board_(config.workers * config.threads),
        limiter_(config.device_requests_per_minute), workers_(static_cast<size_t>(config.workers)) {}

  int Run() {
    sigset_t waited;
    sigemptyset(&waited);
    for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGHUP}) sigaddset(&waited, sig);
    pthread_sigmask(SIG_BLOCK, &waited, nullptr);
    signal(SIGPIPE, SIG_IGN);

    for (size_t i = 0; i < workers_.size(); ++i) Start(i);
    int stop_signal = 0;
    while (stop_signal == 0) {
      timespec wait = UntilNextRestart();
      siginfo_t info{};
      int sig = sigtimedwait(&waited, &info, &wait);
      if (sig == SIGTERM || sig == SIGINT) stop_signal = sig;
      else if (sig == SIGHUP) log::Info().kv("event", "sighup").msg("mdm-fcgi has nothing to reload on SIGHUP; restart it to read a new configuration");
      Reap(/*restart=*/stop_signal == 0);
      if (stop_signal == 0) StartDue();
    }
    return Stop(stop_signal);
  }

 private:
  void Start(size_t i) {
    WorkerState& w = workers_[i];
    pid_t master = getpid();
    pid_t pid = fork();
    if (pid < 0) {
      log::Error().kv("event", "fork_failed").kv("worker", static_cast<long long>(i)).msg(std::strerror(errno));
      w.restart_at_ms = Scoreboard::NowMs() + kMaxDelayMs;
      return;
    }
    if (pid == 0) {
      int first = static_cast<int>(i) * config_.threads;
      for (int s = 0; s < config_.threads; ++s) Scoreboard::End(board_.at(first + s));
      int status = RunWorker(config_, fd_, board_, first, master, limiter_, metrics_.get());
      _exit(status);
    }
    w.pid = pid;
    w.started_ms = Scoreboard::NowMs();
  }

  // Collects every worker that ended; logs each and schedules its replacement.
  void Reap(bool restart) {
    while (true) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) return;
      auto it = std::find_if(workers_.begin(), workers_.end(), [&](const WorkerState& w) { return w.pid == pid; });
      if (it == workers_.end()) continue;
      size_t i = static_cast<size_t>(it - workers_.begin());
      WorkerState& w = *it;
      int64_t now = Scoreboard::NowMs();
      int64_t lived = now - w.started_ms;
      w.pid = 0;
      if (!restart) continue;
      metrics_.get().WorkerDied();
      w.quick_deaths = lived < kHealthyLifeMs ? w.quick_deaths + 1 : 0;
      int64_t delay = 0;
      if (w.quick_deaths > 1) {
        delay = kFirstDelayMs;
        for (int k = 2; k < w.quick_deaths && delay < kMaxDelayMs; ++k) delay *= 2;
        delay = std::min(delay, kMaxDelayMs);
      }
      w.restart_at_ms = now + delay;

      log::Line line(log::Level::kError);
      line.kv("event", "worker_died").kv("pid", static_cast<long long>(pid));
      if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        line.kv("signal", SignalName(sig));
        if (sig == SIGXCPU) line.kv("cause", "request_cpu_seconds exceeded");
      } else {
        line.kv("exit_status", static_cast<long long>(WEXITSTATUS(status)));
      }
      // The requests it was serving: route and method only, never the body.
      std::string serving;
      for (int s = 0; s < config_.threads; ++s) {
        Slot& slot = board_.at(static_cast<int>(i) * config_.threads + s);
        int64_t since = slot.busy_since_ms.load(std::memory_order_acquire);
        if (since == 0) continue;
        if (!serving.empty()) serving += ",";
        serving += std::string(slot.method) + " " + slot.route + " (" + std::to_string(now - since) + " ms)";
        Scoreboard::End(slot);
      }
      line.kv("route", serving.empty() ? "none" : serving).kv("lived_ms", static_cast<long long>(lived))
          .kv("restart_in_ms", static_cast<long long>(delay))
          .msg("an mdm-fcgi worker died; the master starts another");
    }
  }

  void StartDue() {
    int64_t now = Scoreboard::NowMs();
    for (size_t i = 0; i < workers_.size(); ++i)
      if (workers_[i].pid == 0 && workers_[i].restart_at_ms <= now) Start(i);
  }

  timespec UntilNextRestart() const {
    int64_t now = Scoreboard::NowMs(), next = now + 1000;
    for (const auto& w : workers_)
      if (w.pid == 0) next = std::min(next, std::max(w.restart_at_ms, now));
    int64_t ms = next - now;
    return timespec{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000};
  }

  int Stop(int sig) {
    log::Info().kv("event", "stop").kv("signal", SignalName(sig)).msg("mdm-fcgi stopping");
    // Shutting the listening socket wakes every worker's accept(); each finishes the request in
    // flight, then exits.
    ::shutdown(fd_, SHUT_RDWR);
    int64_t deadline = Scoreboard::NowMs() + 30'000;
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    while (std::any_of(workers_.begin(), workers_.end(), [](const WorkerState& w) { return w.pid != 0; })) {
      int64_t left = deadline - Scoreboard::NowMs();
      if (left <= 0) {
        for (auto& w : workers_)
          if (w.pid != 0) kill(w.pid, SIGKILL);
        log::Warn().kv("event", "stop_timeout").msg("workers still busy after 30 s were killed");
        deadline = Scoreboard::NowMs() + 5'000;
      }
      timespec wait{0, 100 * 1000000L};
      sigtimedwait(&chld, nullptr, &wait);
      Reap(/*restart=*/false);
    }
    return 0;
  }

  const Config& config_;
  int fd_;
  Scoreboard board_;
  // Mapped here, before the workers fork, so that all of them spend one budget per device.
  service::DeviceRateLimiter limiter_;
  // The same for the metrics' counters: every worker adds to them, a replaced one takes nothing.
  metrics::SharedCounters metrics_;
  std::vector<WorkerState> workers_;
};

}  // namespace

int RunSupervisor(const Config& config, int listen_fd) { return Supervisor(config, listen_fd).Run(); }

}  // namespace mdm::fcgi
