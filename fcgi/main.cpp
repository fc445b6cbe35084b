// mdm-fcgi: the FastCGI worker. A pool of threads, each accepting requests on the shared socket
// with its own database connection, hands each request to lib's App.
#include <fcgiapp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/log.h"
#include "fcgi_adapter.h"
#include "service/app.h"
#include "store/database.h"

namespace {

void Usage() {
  std::fputs(
      "usage: mdm-fcgi [--config FILE]\n"
      "  Serves the device protocol over FastCGI on the socket named in the configuration.\n"
      "  The configuration is FILE, else $MDM_CONFIG, else /etc/mdm/mdm.conf.\n",
      stdout);
}

void Serve(mdm::service::App& app, int listen_fd) {
  FCGX_Request fr;
  FCGX_InitRequest(&fr, listen_fd, 0);
  mdm::store::Database db(app.config().database);
  while (FCGX_Accept_r(&fr) >= 0) {
    mdm::http::Request req;
    mdm::http::Response res;
    switch (mdm::fcgi::ReadRequest(fr, app.config().max_body_bytes, &req)) {
      case mdm::fcgi::ReadOutcome::kOk:
        res = app.Handle(req, db);
        break;
      case mdm::fcgi::ReadOutcome::kTooLarge:
        res = mdm::http::Response::Text(413, "request body larger than max_body_bytes (" +
                                                 std::to_string(app.config().max_body_bytes) + ")");
        mdm::log::Warn().kv("method", req.method).kv("route", req.path).kv("status", 413LL).kv("reason", res.reason);
        break;
      case mdm::fcgi::ReadOutcome::kBadLength:
        res = mdm::http::Response::Text(400, "malformed Content-Length");
        break;
      case mdm::fcgi::ReadOutcome::kShortBody:
        res = mdm::http::Response::Text(400, "request body shorter than its Content-Length");
        break;
    }
    mdm::fcgi::WriteResponse(fr, res);
    FCGX_Finish_r(&fr);
  }
  FCGX_Free(&fr, 1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_flag;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_flag = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_flag = a.substr(9);
    } else if (a == "--help" || a == "-h") {
      Usage();
      return 0;
    } else {
      std::fprintf(stderr, "mdm-fcgi: unknown argument '%s'; see mdm-fcgi --help\n", a.c_str());
      return 2;
    }
  }
  auto cfg = mdm::LoadConfig(mdm::ResolveConfigPath(config_flag));
  if (!cfg.ok()) {
    std::fprintf(stderr, "mdm-fcgi: %s\n", cfg.status().message().c_str());
    return 1;
  }
  mdm::log::SetLevel(cfg->log_level);

  // SIGTERM/SIGINT are taken by a watcher thread; the workers never see them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (FCGX_Init() != 0) {
    std::fprintf(stderr, "mdm-fcgi: FastCGI library failed to initialise\n");
    return 1;
  }
  const std::string& sock = cfg->socket;
  bool is_unix = sock[0] != ':';
  if (is_unix) ::unlink(sock.c_str());  // a stale socket from a previous run
  int fd = FCGX_OpenSocket(sock.c_str(), 1024);
  if (fd < 0) {
    std::fprintf(stderr, "mdm-fcgi: cannot listen on %s: %s (check that its folder exists and is writable)\n",
                 sock.c_str(), std::strerror(errno));
    return 1;
  }
  if (is_unix && ::chmod(sock.c_str(), cfg->socket_mode) != 0) {
    std::fprintf(stderr, "mdm-fcgi: cannot set the mode of %s: %s\n", sock.c_str(), std::strerror(errno));
    return 1;
  }

  mdm::service::App app(*cfg);
  mdm::log::Info().kv("event", "start").kv("socket", sock).kv("threads", static_cast<long long>(cfg->threads))
      .kv("version", MDM_VERSION).msg("mdm-fcgi listening");

  std::vector<std::thread> workers;
  for (int i = 0; i < cfg->threads; ++i) workers.emplace_back(Serve, std::ref(app), fd);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  mdm::log::Info().kv("event", "stop").kv("signal", static_cast<long long>(sig)).msg("mdm-fcgi stopping");
  // Shutting the listening socket wakes every accept(); requests in progress finish first.
  ::shutdown(fd, SHUT_RDWR);
  for (auto& t : workers) t.join();
  ::close(fd);
  if (is_unix) ::unlink(sock.c_str());
  return 0;
}
