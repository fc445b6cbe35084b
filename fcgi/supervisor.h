// The master process of mdm-fcgi, in the manner of php-fpm: it holds the listening socket,
// forks the worker processes and replaces one that dies, so a crash costs the requests that
// were in flight on that one process, not the service.
#pragma once

#include "config/config.h"

namespace mdm::fcgi {

// Forks config.workers workers on `listen_fd` and supervises them until SIGTERM or SIGINT; then
// shuts the socket (workers finish the requests in flight and exit) and waits for them.
// A worker that dies is logged (pid, signal or exit status, the requests it was serving) and
// started again at once; one that keeps dying young is started again after a growing delay
// (0.1 s doubling to 30 s), so a crash loop does not spin the machine. Returns the exit status.
int RunSupervisor(const Config& config, int listen_fd);

}  // namespace mdm::fcgi
