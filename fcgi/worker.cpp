#include "worker.h"

#include <fcgiapp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "cpu_budget.h"
#include "fcgi_adapter.h"
#include "service/app.h"
#include "store/database.h"

namespace mdm::fcgi {
namespace {

void Serve(service::App& app, int listen_fd, Slot& slot, metrics::Counters& counters) {
  FCGX_Request fr;
  FCGX_InitRequest(&fr, listen_fd, 0);
  // A statement that waits longer than nginx waits for the answer (fastcgi_read_timeout 30 s)
  // only keeps this worker from the next request: PostgreSQL cancels it, the client gets a 503.
  store::Database db(app.config().database,
                     "SET statement_timeout = " + std::to_string(app.config().statement_timeout_seconds * 1000));
  CpuBudget budget(app.config().request_cpu_seconds);
  while (FCGX_Accept_r(&fr) >= 0) {
    budget.Start();
    const auto start = std::chrono::steady_clock::now();
    http::Request req;
    http::Response res;
    ReadOutcome read = ReadRequest(fr, app.config().max_body_bytes, &req);
    Scoreboard::Begin(slot, req.method.c_str(), service::App::RouteForLog(req.path).c_str());
    switch (read) {
      case ReadOutcome::kOk:
        res = app.Handle(req, db);
        break;
      case ReadOutcome::kTooLarge:
        res = http::Response::Text(413, "request body larger than max_body_bytes (" +
                                            std::to_string(app.config().max_body_bytes) + ")");
        log::Warn().kv("method", req.method).kv("route", service::App::RouteForLog(req.path))
            .kv("status", 413LL).kv("reason", res.reason);
        break;
      case ReadOutcome::kBadLength:
        res = http::Response::Text(400, "malformed Content-Length");
        break;
      case ReadOutcome::kShortBody:
        res = http::Response::Text(400, "request body shorter than its Content-Length");
        break;
    }
    // App::Handle counts what it answers; what is refused before it, is counted here.
    if (read != ReadOutcome::kOk)
      counters.Request(metrics::RouteOf(req.path), res.status,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    WriteResponse(fr, res);
    FCGX_Finish_r(&fr);
    budget.Stop();
    Scoreboard::End(slot);
  }
  FCGX_Free(&fr, 1);
}

}  // namespace

int RunWorker(const Config& config, int listen_fd, Scoreboard& board, int first_slot, pid_t master,
              service::DeviceRateLimiter& limiter, metrics::Counters& counters) {
  // The master blocked its signals to wait for them; a worker takes the defaults back, so
  // SIGTERM ends it and SIGXCPU (the CPU budget) kills it.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_UNBLOCK, &all, nullptr);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGXCPU}) signal(sig, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  // Dies with the master, so a restarted master never finds old workers on its socket.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != master) return 1;  // the master went away before prctl took effect
  // A crashed worker must not leave its memory (keys, tokens) in a core file.
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);

  service::App app(config, &limiter, &counters);
  std::vector<std::thread> threads;
  for (int i = 0; i < config.threads; ++i)
    threads.emplace_back(Serve, std::ref(app), listen_fd, std::ref(board.at(first_slot + i)), std::ref(counters));
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace mdm::fcgi
