// One worker process: `config.threads` threads accepting FastCGI requests on the inherited
// listening socket, each with its own database connection, each request under a CPU budget.
#pragma once

#include <sys/types.h>

#include "config/config.h"
#include "metrics/metrics.h"
#include "scoreboard.h"
#include "service/rate_limiter.h"

namespace mdm::fcgi {

// Runs in the forked child until the listening socket is shut down (the master stopping);
// returns the process's exit status. Slots [first_slot, first_slot + threads) are this worker's;
// `master` is the pid of the process that forked it (the worker ends when that one is gone);
// `limiter` and `counters` are the master's, shared by all workers.
int RunWorker(const Config& config, int listen_fd, Scoreboard& board, int first_slot, pid_t master,
              service::DeviceRateLimiter& limiter, metrics::Counters& counters);

}  // namespace mdm::fcgi
