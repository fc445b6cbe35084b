// mdm-fcgi: the FastCGI server. A master process holds the listening socket and supervises the
// worker processes (fcgi/supervisor.h); each worker runs threads that hand requests to lib's App.
#include <fcgiapp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "config/config.h"
#include "core/log.h"
#include "supervisor.h"

namespace {

void Usage() {
  std::fputs(
      "usage: mdm-fcgi [--config FILE]\n"
      "  Serves the device protocol over FastCGI on the socket named in the configuration.\n"
      "  The configuration is FILE, else $MDM_CONFIG, else /etc/mdm/mdm.conf.\n"
      "  A master process holds the socket and runs `workers` worker processes of `threads`\n"
      "  threads each; a worker that dies is replaced. SIGTERM or SIGINT to the master stops\n"
      "  all of them once the requests in flight are answered.\n",
      stdout);
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

  mdm::log::Info().kv("event", "start").kv("socket", sock).kv("workers", static_cast<long long>(cfg->workers))
      .kv("threads", static_cast<long long>(cfg->threads)).kv("version", MDM_VERSION).msg("mdm-fcgi listening");
  int status = mdm::fcgi::RunSupervisor(*cfg, fd);
  ::close(fd);
  if (is_unix) ::unlink(sock.c_str());
  return status;
}
